"""At most N new paid jobs per minute per caller, so one runaway agent (or one leaked
token) cannot spend a shared deployment's money in a burst. A token bucket per caller,
in this process: each replica counts its own. A call that returns an earlier identical
task starts nothing and is not counted; nor is one refused before its submit went out (by
the budget, the journal, an upload, or the provider itself): no job, no charge."""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass

from wan_video_mcp.errors import WanError

ANONYMOUS = "(unauthenticated)"


class RateLimited(WanError):
    """Too many new paid jobs from this caller; nothing was sent or charged."""


@dataclass
class _Bucket:
    tokens: float
    at: float


class Allowance:
    """A call's share of its caller's new paid jobs. Taken for a new job before it is claimed;
    once its submit is handed over to be sent it counts (an answer can be lost, its job real),
    unless the journal then records that nothing went out. Given back when the call ends
    otherwise: refused before sending (budget, upload, busy journal), or sent nowhere."""

    def __init__(self, limiter: SubmitLimiter, caller: str | None, clock: Callable[[], float]) -> None:
        self._limiter = limiter
        self._caller = caller
        self._clock = clock  # read when taken: that can be after a long upload
        self._taken = False
        self._counts = False

    def take(self) -> None:
        """One new job from the caller's allowance, or RateLimited."""
        if not self._taken:
            self._limiter.admit(self._caller, self._clock())
            self._taken = True

    def handed_over(self) -> None:
        """The submit goes to the provider: it counts from here."""
        self._counts = True

    def not_sent(self) -> None:
        """The journal recorded that the submit never went out."""
        self._counts = False

    def settle(self) -> None:
        if self._taken and not self._counts:
            self._limiter.give_back(self._caller)
        self._taken = False


class SubmitLimiter:
    def __init__(self, per_minute: int | None) -> None:
        self._per_minute = per_minute
        self._buckets: dict[str, _Bucket] = {}

    def admit(self, caller: str | None, now: float) -> None:
        """Take one submit from `caller`'s allowance, or refuse with when the next one comes."""
        if self._per_minute is None:
            return
        bucket = self._refilled(caller or ANONYMOUS, now)
        if bucket.tokens < 1:
            wait = (1 - bucket.tokens) * 60 / self._per_minute
            raise RateLimited(
                f"Too many new video jobs: at most {self._per_minute} per minute per caller on this server "
                f"(WAN_MCP_SUBMITS_PER_MINUTE). Try again in {wait:.0f} s. Nothing was sent or charged."
            )
        bucket.tokens -= 1

    @contextmanager
    def allowance(self, caller: str | None, clock: Callable[[], float]) -> Generator[Allowance]:
        """The call's allowance (see Allowance), settled when the block ends however it ends."""
        allowance = Allowance(self, caller, clock)
        try:
            yield allowance
        finally:
            allowance.settle()

    def give_back(self, caller: str | None) -> None:
        # Capped: the bucket may have refilled to full while the call ran.
        if self._per_minute is not None:
            bucket = self._buckets[caller or ANONYMOUS]
            bucket.tokens = min(float(self._per_minute), bucket.tokens + 1)

    def _refilled(self, caller: str, now: float) -> _Bucket:
        assert self._per_minute is not None
        bucket = self._buckets.setdefault(caller, _Bucket(float(self._per_minute), now))
        bucket.tokens = min(
            float(self._per_minute), bucket.tokens + (now - bucket.at) * self._per_minute / 60
        )
        bucket.at = now
        return bucket
