"""At most N new paid jobs per minute per caller, so one runaway agent (or one leaked
token) cannot spend a shared deployment's money in a burst. A token bucket per caller,
in this process: each replica counts its own. A call that returns an earlier identical
task starts nothing and is not counted; nor is one refused before its submit went out (by
the budget, the journal, an upload, or the provider itself): no job, no charge."""

from __future__ import annotations

from collections.abc import Generator
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


@dataclass
class Allowance:
    went_out: bool = False

    def spent(self) -> None:
        """The submit went out (answered or not): it counts."""
        self.went_out = True


class SubmitLimiter:
    def __init__(self, per_minute: int | None) -> None:
        self._per_minute = per_minute
        self._buckets: dict[str, _Bucket] = {}

    def _admit(self, caller: str | None, now: float) -> None:
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
    def allowance(self, caller: str | None, now: float, *, new_job: bool) -> Generator[Allowance]:
        """One submit taken from `caller`'s allowance for a `new_job` (none for a reused task);
        given back when the block ends without `Allowance.spent` -- nothing went out."""
        if new_job:
            self._admit(caller, now)
        allowance = Allowance()
        try:
            yield allowance
        finally:
            if new_job and not allowance.went_out:
                self._give_back(caller)

    def _give_back(self, caller: str | None) -> None:
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
