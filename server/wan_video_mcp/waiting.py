"""The poll loop: a growing schedule, a hard deadline, progress, and patience with
transient faults. Cancellation (the client gave up) simply propagates: the job and
its handle are already in the journal."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import anyio

from wan_video_mcp.errors import ProviderRateLimited, ProviderUnavailable, UnknownTaskStatus
from wan_video_mcp.pacing import Expectation
from wan_video_mcp.tasks import TaskHandle, TaskSnapshot, TaskState, utc_now

# How far past the budget one last answer (a poll, a download) may run: a quarter of the
# budget, within these bounds -- a 3 s budget must still end before a 5 s client gives up.
MIN_GRACE_SECONDS = 0.75
MAX_GRACE_SECONDS = 2.0
TRANSIENT = (ProviderUnavailable, ProviderRateLimited)
QUERY_TIMED_OUT = "status query timed out"

ProgressSink = Callable[[float, float | None, str], Awaitable[None]]


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class AnyioClock:
    def now(self) -> float:
        return anyio.current_time()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


@dataclass(frozen=True)
class Deadline:
    """When a call should return (`at`, on its clock), and the grace for one last answer."""

    at: float
    grace: float

    @classmethod
    def after(cls, clock: Clock, budget: float) -> Deadline:
        grace = min(MAX_GRACE_SECONDS, max(MIN_GRACE_SECONDS, budget / 4))
        return cls(clock.now() + budget, grace)

    def last_answer_within(self, clock: Clock) -> float:
        """Seconds left for an answer already asked for: the budget's rest and the grace."""
        return max(0.0, self.at - clock.now()) + self.grace


@dataclass(frozen=True)
class PollSchedule:
    """First poll soon; then, when the job's end can be expected (`expected`, or the provider's
    percentage), pauses paced around it (pacing.py); else each pause `growth` times longer, up
    to `maximum` (the provider's recommended interval)."""

    first: float
    maximum: float
    growth: float = 1.5
    expected: Expectation | None = None
    already: float = 0.0  # seconds the job had run when this wait began

    def after(self, previous: float, elapsed: float | None = None, percent: float | None = None) -> float:
        """The next pause; `elapsed` is the seconds since the submit, `percent` the provider's."""
        since_submit = self.already if elapsed is None else elapsed
        expectation = Expectation.from_percent(since_submit, percent) or self.expected
        if expectation is None:
            return min(self.maximum, previous * self.growth) if previous else self.first
        return expectation.pause_at(since_submit, self.maximum)


@dataclass
class WaitOutcome:
    """What a wait saw: the last answer, and on its clock when that came and when the
    schedule would poll next (so another wait can carry on from there)."""

    snapshot: TaskSnapshot | None
    last_problem: str | None = None
    answered_at: float | None = None
    next_poll_at: float | None = None
    last_pause: float = 0.0  # what the schedule grows from

    @property
    def finished(self) -> bool:
        return self.snapshot is not None and self.snapshot.state.is_terminal


class ProgressReporter:
    """Turns poll results into `notifications/progress`: strictly increasing values
    out of 100, and a message like `RUNNING · 1m35s · dashscope:0385dc79`."""

    def __init__(
        self, sink: ProgressSink | None, handle: TaskHandle, submitted_at: datetime, typical_seconds: float
    ) -> None:
        self._sink = sink
        self._handle = handle
        self._submitted_at = submitted_at
        self._typical = typical_seconds
        self._last = -1.0

    async def report(self, state: TaskState, percent: float | None, problem: str | None = None) -> None:
        if self._sink is None:
            return
        elapsed = max(0.0, (utc_now() - self._submitted_at).total_seconds())
        value = self._value(state, percent, elapsed)
        if value <= self._last:
            return  # the spec requires strictly increasing progress; skip rather than repeat
        self._last = value
        await self._sink(value, 100.0, self._message(state, percent, elapsed, problem))

    def _value(self, state: TaskState, percent: float | None, elapsed: float) -> float:
        if state.is_terminal:
            return 100.0
        # Without a provider percentage, estimate from the typical run time; it
        # approaches but never reaches 100 while the job runs.
        estimate = percent if percent is not None else 99.0 * (1 - math.exp(-elapsed / self._typical))
        return round(min(99.9, max(estimate, self._last + 0.1)), 1)

    def _message(self, state: TaskState, percent: float | None, elapsed: float, problem: str | None) -> str:
        parts = [
            state.value.upper() + (f" {percent:.0f}%" if percent is not None else ""),
            _duration(elapsed),
        ]
        parts.append(self._handle.short)
        if problem:
            parts.append(problem)
        return " · ".join(parts)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


async def wait_for_task(
    poll: Callable[[], Awaitable[TaskSnapshot]],
    *,
    deadline: Deadline,
    schedule: PollSchedule,
    clock: Clock,
    reporter: ProgressReporter,
    on_snapshot: Callable[[TaskSnapshot], Awaitable[None]],
    poll_now: bool = False,
    carry_on: WaitOutcome | None = None,
    last_look: bool = True,
) -> WaitOutcome:
    """Poll until the task ends or `deadline` (on `clock`) passes.

    With `poll_now` the first poll happens at once, even with no time budget: a
    status query with `wait_seconds=0` still answers with fresh news. `carry_on`: an
    earlier wait's outcome to continue (its answer, its next poll), updated in place.
    Without `last_look` the wait ends, rather than polls, when its next poll would
    come after the deadline.
    """
    outcome = carry_on or WaitOutcome(snapshot=None)
    began = clock.now() - schedule.already  # the submit, on `clock`
    paced_by: float | None = None  # the provider percentage the last pause was paced by
    delay = 0.0 if poll_now else _first_pause(schedule, outcome, clock)
    # Carrying on, the schedule grows from the earlier wait's pause, not from what was left of it.
    previous = outcome.last_pause or delay
    while True:
        remaining = deadline.at - clock.now()
        if (remaining <= 0 and delay > 0) or (delay > remaining and not last_look):
            return outcome
        # Sleep to the next poll, or to the deadline for one last look before returning.
        await clock.sleep(max(0.0, min(delay, remaining)))
        retry_after = await _poll_once(poll, outcome, deadline, clock, reporter, on_snapshot)
        if outcome.finished:
            return outcome
        percent = outcome.snapshot.progress_percent if outcome.snapshot else None
        # Only a percentage that moved says when the end comes: a stalled job is not paced by it.
        fresh = percent if percent != paced_by else None
        paced_by = percent
        delay = max(schedule.after(previous, clock.now() - began, fresh), retry_after or 0.0)
        previous = outcome.last_pause = delay
        outcome.next_poll_at = clock.now() + delay
        if clock.now() >= deadline.at or (retry_after or 0.0) > deadline.at - clock.now():
            return outcome  # the budget is spent, or the provider asks us to wait past it


def _first_pause(schedule: PollSchedule, carried: WaitOutcome, clock: Clock) -> float:
    if carried.next_poll_at is None:
        return schedule.first
    return max(0.0, carried.next_poll_at - clock.now())


async def _poll_once(  # noqa: PLR0917  (the loop's state, passed through)
    poll: Callable[[], Awaitable[TaskSnapshot]],
    outcome: WaitOutcome,
    deadline: Deadline,
    clock: Clock,
    reporter: ProgressReporter,
    on_snapshot: Callable[[TaskSnapshot], Awaitable[None]],
) -> float | None:
    """One poll; records the snapshot or the problem. Returns a Retry-After, if any."""
    state = outcome.snapshot.state if outcome.snapshot else TaskState.QUEUED
    percent = outcome.snapshot.progress_percent if outcome.snapshot else None
    snapshot: TaskSnapshot | None = None
    with anyio.move_on_after(deadline.last_answer_within(clock)):
        try:
            snapshot = await poll()
        except TRANSIENT as exc:
            outcome.last_problem = problem_text(exc)
            await reporter.report(state, percent, outcome.last_problem + ", retrying")
            return exc.retry_after if isinstance(exc, ProviderRateLimited) else None
    if snapshot is None:
        outcome.last_problem = QUERY_TIMED_OUT
        return None
    previous, outcome.snapshot, outcome.last_problem = outcome.snapshot, snapshot, None
    outcome.answered_at = clock.now()
    if snapshot != previous:  # the same answer again would write nothing new to the journal
        await on_snapshot(snapshot)
    await reporter.report(snapshot.state, snapshot.progress_percent)
    return None


def problem_text(exc: ProviderUnavailable | ProviderRateLimited) -> str:
    if isinstance(exc, ProviderRateLimited):
        return "status query rate-limited"
    if isinstance(exc, UnknownTaskStatus):
        status = exc.raw_status[:40]
        return f"{exc.provider} answered status {status!r}, unknown to this server (the job may be fine)"
    return f"status query failed ({(exc.code or exc.message)[:60]})"
