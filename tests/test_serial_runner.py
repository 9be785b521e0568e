"""The journal's one-connection runner (journal/serial.py): calls that queue while a trip
to the worker thread is under way go on the next one, in order; an error reaches only its
own caller; a call cancelled before its trip never runs."""

from __future__ import annotations

import threading

import anyio
import pytest

from wan_video_mcp.journal.serial import SerialRunner

pytestmark = pytest.mark.anyio


async def test_queued_calls_share_trips_and_keep_their_order() -> None:
    runner = SerialRunner()
    ran: list[int] = []
    threads: set[int] = set()
    answers: dict[int, int] = {}

    def work(n: int) -> int:
        threads.add(threading.get_ident())
        ran.append(n)
        return n * n

    async def call(n: int) -> None:
        answers[n] = await runner.run(lambda: work(n))

    async with anyio.create_task_group() as tg:
        for n in range(200):
            tg.start_soon(call, n)

    assert answers == {n: n * n for n in range(200)}
    assert sorted(ran) == list(range(200)) and len(ran) == 200  # each exactly once
    assert threading.get_ident() not in threads  # never on the event loop's thread


async def test_an_error_reaches_only_its_own_caller() -> None:
    runner = SerialRunner()
    outcomes: dict[int, object] = {}

    def work(n: int) -> int:
        if n == 3:
            raise ValueError("row 3 is broken")
        return n

    async def call(n: int) -> None:
        try:
            outcomes[n] = await runner.run(lambda: work(n))
        except ValueError as exc:
            outcomes[n] = str(exc)

    async with anyio.create_task_group() as tg:
        for n in range(8):
            tg.start_soon(call, n)

    assert outcomes == {0: 0, 1: 1, 2: 2, 3: "row 3 is broken", 4: 4, 5: 5, 6: 6, 7: 7}


async def test_a_call_cancelled_before_its_trip_never_runs() -> None:
    runner = SerialRunner()
    in_trip, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def slow() -> str:
        in_trip.set()
        release.wait(10)
        ran.append("slow")
        return "slow"

    async def first() -> None:
        assert await runner.run(slow) == "slow"

    async with anyio.create_task_group() as tg:
        tg.start_soon(first)
        await anyio.to_thread.run_sync(in_trip.wait, 10)
        with anyio.move_on_after(0.2) as scope:
            await runner.run(lambda: ran.append("cancelled"))
        assert scope.cancelled_caught
        release.set()
    assert await runner.run(lambda: "after") == "after"  # the runner goes on

    assert ran == ["slow"]


async def test_calls_taken_on_a_trip_run_even_when_the_driver_is_cancelled_first() -> None:
    runner = SerialRunner()
    ran: list[int] = []

    async def driver() -> None:
        with anyio.CancelScope() as scope:
            scope.cancel()  # already cancelled when its trip would start
            await runner.run(lambda: ran.append(1))

    async def rider() -> None:
        await runner.run(lambda: ran.append(2))

    async with anyio.create_task_group() as tg:
        tg.start_soon(rider)
        tg.start_soon(driver)
    assert sorted(ran) == [1, 2] or ran == [2]  # the rider's write is never lost
