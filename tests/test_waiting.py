"""The poll loop in virtual time: schedule, deadline, Retry-After, transient faults, progress."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import anyio
import anyio.lowlevel
import pytest

from wan_video_mcp.errors import ProviderAuthError, ProviderRateLimited, ProviderUnavailable
from wan_video_mcp.pacing import Expectation, TypicalRunTimes
from wan_video_mcp.tasks import TaskHandle, TaskSnapshot, TaskState, utc_now
from wan_video_mcp.waiting import Deadline, PollSchedule, ProgressReporter, WaitOutcome, wait_for_task

pytestmark = pytest.mark.anyio
HANDLE = TaskHandle("dashscope", "0385dc79-aaaa")


class FakeClock:
    def __init__(self) -> None:
        self.time = 1000.0

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.time += seconds
        await anyio.lowlevel.checkpoint()


class Progress:
    def __init__(self) -> None:
        self.updates: list[tuple[float, float | None, str]] = []

    async def __call__(self, progress: float, total: float | None, message: str) -> None:
        self.updates.append((progress, total, message))


def scripted(
    clock: FakeClock, steps: list[TaskSnapshot | Exception]
) -> tuple[Callable[[], object], list[float]]:
    """A poll function answering from `steps` (the last one repeats); records when it was called."""
    calls: list[float] = []

    async def poll() -> TaskSnapshot:
        calls.append(clock.now())
        step = steps[min(len(calls) - 1, len(steps) - 1)]
        if isinstance(step, Exception):
            raise step
        return step

    return poll, calls


RUNNING = TaskSnapshot(state=TaskState.RUNNING, raw_status="RUNNING")
DONE = TaskSnapshot(state=TaskState.SUCCEEDED, raw_status="SUCCEEDED", video_url="https://x/v.mp4")


async def run(
    clock: FakeClock,
    poll: Callable[[], object],
    budget: float,
    progress: Progress | None = None,
    schedule: PollSchedule | None = None,
    **kw: object,
):
    reporter = ProgressReporter(progress, HANDLE, utc_now() - timedelta(seconds=30), typical_seconds=240)

    async def ignore(snapshot: TaskSnapshot) -> None:
        del snapshot

    return await wait_for_task(
        poll,  # type: ignore[arg-type]
        deadline=Deadline.after(clock, budget),
        schedule=schedule or PollSchedule(first=2.0, maximum=15.0),
        clock=clock,
        reporter=reporter,
        on_snapshot=ignore,
        **kw,  # type: ignore[arg-type]
    )


async def test_polls_start_soon_and_grow_to_the_provider_interval() -> None:
    clock = FakeClock()
    poll, calls = scripted(clock, [RUNNING])

    outcome = await run(clock, poll, budget=120)

    gaps = [round(b - a, 2) for a, b in zip([1000.0, *calls], calls, strict=False)]
    assert gaps[:5] == [2.0, 3.0, 4.5, 6.75, 10.12]
    assert max(gaps) == 15.0
    assert not outcome.finished and outcome.snapshot is RUNNING


async def test_returns_at_the_deadline_after_one_last_look() -> None:
    clock = FakeClock()
    poll, calls = scripted(clock, [RUNNING])

    await run(clock, poll, budget=50)

    assert clock.now() == 1050.0
    assert calls[-1] == 1050.0


async def test_without_a_last_look_the_wait_ends_instead_of_polling_past_its_deadline() -> None:
    clock = FakeClock()
    poll, calls = scripted(clock, [RUNNING])

    outcome = await run(clock, poll, budget=10, last_look=False)

    assert calls == [1002.0, 1005.0, 1009.5], "the next pause (6.75 s) would end past the deadline"
    assert outcome.answered_at == 1009.5 and outcome.next_poll_at == 1016.25


async def test_a_wait_carries_on_from_an_earlier_waits_next_poll() -> None:
    clock = FakeClock()
    poll, calls = scripted(clock, [RUNNING, DONE])
    earlier = WaitOutcome(snapshot=RUNNING, answered_at=998.0, next_poll_at=1007.0)

    outcome = await run(clock, poll, budget=60, carry_on=earlier)

    assert calls[0] == 1007.0 and outcome is earlier and outcome.finished


async def test_carrying_on_the_plain_schedule_grows_from_the_earlier_pause() -> None:
    clock = FakeClock()
    poll, calls = scripted(clock, [RUNNING])
    earlier = WaitOutcome(snapshot=RUNNING, answered_at=990.0, next_poll_at=1000.01, last_pause=10.125)

    await run(clock, poll, budget=40, carry_on=earlier, last_look=False)

    gaps = [round(b - a, 3) for a, b in itertools.pairwise(calls)]
    assert calls[0] == pytest.approx(1000.01) and gaps == [15.0, 15.0], "not a burst from 0.01 s up"


async def test_stops_as_soon_as_the_task_ends() -> None:
    clock = FakeClock()
    poll, calls = scripted(clock, [RUNNING, RUNNING, DONE])

    outcome = await run(clock, poll, budget=600)

    assert outcome.finished and outcome.snapshot is DONE
    assert len(calls) == 3


async def test_transient_failures_do_not_end_the_wait() -> None:
    clock = FakeClock()
    progress = Progress()
    poll, calls = scripted(
        clock,
        [
            ProviderUnavailable("DashScope", "HTTP 503", code="ServiceUnavailable"),
            ProviderUnavailable("DashScope", "garbled"),
            DONE,
        ],
    )

    outcome = await run(clock, poll, budget=600, progress=progress)

    assert outcome.finished and len(calls) == 3
    assert any("retrying" in message for _, _, message in progress.updates)


async def test_retry_after_is_honoured() -> None:
    clock = FakeClock()
    poll, calls = scripted(clock, [ProviderRateLimited("DashScope", "slow down", retry_after=20), DONE])

    await run(clock, poll, budget=600)

    assert calls[1] - calls[0] >= 20


async def test_a_retry_after_past_the_budget_returns_now() -> None:
    clock = FakeClock()
    poll, calls = scripted(clock, [ProviderRateLimited("DashScope", "slow down", retry_after=300), DONE])

    outcome = await run(clock, poll, budget=30)

    assert len(calls) == 1 and clock.now() < 1030
    assert outcome.last_problem == "status query rate-limited"


async def test_a_fatal_error_ends_the_wait() -> None:
    clock = FakeClock()
    poll, _ = scripted(clock, [ProviderAuthError("DashScope", "bad key")])

    with pytest.raises(ProviderAuthError):
        await run(clock, poll, budget=600)


async def test_poll_now_with_no_budget_still_looks_once() -> None:
    clock = FakeClock()
    poll, calls = scripted(clock, [RUNNING])

    outcome = await run(clock, poll, budget=0, poll_now=True)

    assert calls == [1000.0] and outcome.snapshot is RUNNING


async def test_no_budget_without_poll_now_does_not_poll() -> None:
    clock = FakeClock()
    poll, calls = scripted(clock, [RUNNING])

    outcome = await run(clock, poll, budget=0)

    assert calls == [] and outcome.snapshot is None


async def test_progress_strictly_increases_even_when_the_provider_repeats_or_regresses() -> None:
    clock = FakeClock()
    progress = Progress()
    percents = [10, 10, 40, 30, 30, 99, 99]
    steps: list[TaskSnapshot | Exception] = [
        TaskSnapshot(state=TaskState.RUNNING, raw_status="in_progress", progress_percent=p) for p in percents
    ]
    poll, _ = scripted(clock, [*steps, DONE])

    await run(clock, poll, budget=600, progress=progress)

    values = [value for value, _, _ in progress.updates]
    assert all(b > a for a, b in itertools.pairwise(values)), values
    assert values[-1] == 100.0 and all(total == 100.0 for _, total, _ in progress.updates)


async def test_progress_message_names_status_elapsed_and_handle() -> None:
    clock = FakeClock()
    progress = Progress()
    poll, _ = scripted(clock, [RUNNING, DONE])

    await run(clock, poll, budget=600, progress=progress)

    first = progress.updates[0][2]
    assert first.startswith("RUNNING · ") and first.endswith(" · dashscope:0385dc79")
    assert "30s" in first or "32s" in first


async def test_cancellation_stops_the_wait_at_once() -> None:
    # Fails (rather than hangs) if cancellation were swallowed: a poll after the cancel raises,
    # and the whole test is bounded.
    clock = FakeClock()
    polls_when_cancelled: list[int] = []
    polls = 0

    async def poll() -> TaskSnapshot:
        nonlocal polls
        polls += 1
        if polls_when_cancelled and polls > polls_when_cancelled[0] + 1:
            raise AssertionError("the wait polled again after its call was cancelled")
        return RUNNING

    scope = anyio.CancelScope()
    finished = anyio.Event()

    async def waiter() -> None:
        with scope:
            await run(clock, poll, budget=10**9)
        finished.set()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            while polls < 3:
                await anyio.lowlevel.checkpoint()
            polls_when_cancelled.append(polls)
            scope.cancel()
            await finished.wait()

    assert scope.cancelled_caught
    assert polls <= polls_when_cancelled[0] + 1


def finishing_at(
    clock: FakeClock, seconds: float, percent_per_second: float | None = None
) -> tuple[Callable[[], object], list[float]]:
    """A job that ends `seconds` after the wait began (reporting a percentage when given)."""
    began, calls = clock.now(), list[float]()

    async def poll() -> TaskSnapshot:
        calls.append(clock.now())
        elapsed = clock.now() - began
        if elapsed >= seconds:
            return DONE
        percent = None if percent_per_second is None else elapsed * percent_per_second
        return TaskSnapshot(state=TaskState.RUNNING, raw_status="RUNNING", progress_percent=percent)

    return poll, calls


async def polls_until_seen(ends_at: float, schedule: PollSchedule) -> list[float]:
    clock = FakeClock()
    poll, calls = finishing_at(clock, ends_at)
    outcome = await run(clock, poll, budget=600, schedule=schedule)
    assert outcome.finished
    return [moment - 1000 for moment in calls]


async def test_expected_jobs_are_seen_finished_sooner_with_no_more_polls() -> None:
    """Jobs ending around an expectation of 120 s (+-25 %): each is seen at most half the
    provider's interval late, sooner on the whole than with the plain schedule, and with no
    more status queries in all."""
    plain = PollSchedule(first=2.0, maximum=15.0)
    paced = PollSchedule(first=2.0, maximum=15.0, expected=Expectation(median=120.0, spread=0.2))
    ends = [90.0 + 2.5 * step for step in range(25)]
    plain_calls = [await polls_until_seen(ends_at, plain) for ends_at in ends]
    paced_calls = [await polls_until_seen(ends_at, paced) for ends_at in ends]

    paced_lags = [calls[-1] - ends_at for calls, ends_at in zip(paced_calls, ends, strict=True)]
    plain_lags = [calls[-1] - ends_at for calls, ends_at in zip(plain_calls, ends, strict=True)]
    assert max(paced_lags) <= 7.5 and sum(paced_lags) < sum(plain_lags) / 2
    assert sum(map(len, paced_calls)) <= sum(map(len, plain_calls))


async def test_a_job_far_later_than_expected_is_polled_at_the_provider_interval() -> None:
    clock = FakeClock()
    poll, calls = finishing_at(clock, 900.0)
    schedule = PollSchedule(first=2.0, maximum=15.0, expected=Expectation(median=60.0, spread=0.2))

    outcome = await run(clock, poll, budget=1200, schedule=schedule)

    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert outcome.finished and max(gaps[-20:]) <= 15.0 and calls[-1] - 1000 - 900 <= 15.0


async def test_the_providers_percentage_paces_the_polls_without_history() -> None:
    clock = FakeClock()
    poll, calls = finishing_at(clock, 200.0, percent_per_second=0.5)  # 100 % at 200 s

    outcome = await run(clock, poll, budget=600)

    assert outcome.finished and calls[-1] - 1000 - 200 <= 7.5
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert max(gaps) > 15.0  # far from the end it polls less often than the plain schedule


def test_an_expectation_needs_a_few_finished_jobs() -> None:
    assert Expectation.from_history([60.0, 61.0]) is None
    learned = Expectation.from_history([60.0, 62.0, 58.0, 61.0, 300.0])
    assert learned is not None and 59 < learned.median < 62 and learned.spread == 0.2
    spread = Expectation.from_history([30.0, 60.0, 120.0, 240.0, 480.0])
    assert spread is not None and spread.spread == 0.8


async def test_a_stalled_percentage_does_not_speed_up_polling() -> None:
    """A job stuck at 99 % is not "about to end" forever: once the percentage stops moving the
    pauses grow to the provider's interval again."""
    clock = FakeClock()
    stuck = TaskSnapshot(state=TaskState.RUNNING, raw_status="RUNNING", progress_percent=99.0)
    poll, calls = scripted(clock, [stuck])

    await run(clock, poll, budget=300)

    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert len(calls) < 30 and max(gaps[-5:]) == 15.0


def test_run_times_from_jobs_collected_late_are_ignored_and_pauses_stay_finite() -> None:
    collected_next_day = Expectation.from_history([86400.0, 86000.0, 87000.0, 86500.0])
    assert collected_next_day is None
    far = Expectation(median=1500.0, spread=0.2)
    assert far.pause_at(2.0, 15.0) == pytest.approx(30.0) and far.pause_at(10**7, 15.0) == 15.0


async def test_waits_starting_together_read_recent_run_times_once() -> None:
    class CountingJournal:
        reads = 0

        async def run_times(self, provider: str, model: str, limit: int) -> list[float]:
            self.reads += 1
            await anyio.sleep(0.01)  # a query in flight while the others arrive
            return [60.0, 61.0, 59.0]

    journal = CountingJournal()
    typical = TypicalRunTimes(journal)
    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(typical.expectation, "dashscope", "wan2.7-r2v")

    assert journal.reads == 1
    learned = await typical.expectation("dashscope", "wan2.7-r2v")
    assert learned is not None and journal.reads == 1 and 59 <= learned.median <= 61
