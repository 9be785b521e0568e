"""Turns at the decoders: a result waits for one only while the queue ahead of it can clear
within its patience; past that it goes without at once instead of waiting in vain."""

from __future__ import annotations

import anyio
import pytest

from wan_video_mcp.preview.turns import Turns

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def take_turn(turns: Turns, clock: Clock, seconds: float) -> bool:
    async with turns.turn() as had:
        clock.now += seconds
    return had


async def test_a_queue_that_cannot_clear_in_time_is_not_joined() -> None:
    clock = Clock()
    turns = Turns(at_once=1, patience=300.0, clock=clock)
    assert await take_turn(turns, clock, 100.0), "a free turn is taken"  # turns last ~100 s
    release = anyio.Event()
    outcomes: list[str] = []

    async def hold() -> None:
        async with turns.turn():
            await release.wait()

    async def wait_in_line(name: str) -> None:
        outcomes.append(f"{name} {'had' if await take_turn(turns, clock, 0.0) else 'went without'}")

    async with anyio.create_task_group() as group:
        group.start_soon(hold)
        await anyio.wait_all_tasks_blocked()
        for name in ("first", "second", "third"):  # each can still be served within 300 s
            group.start_soon(wait_in_line, name)
            await anyio.wait_all_tasks_blocked()
        with anyio.fail_after(10):  # not its 300 s: 4 turns of ~100 s, one at a time, are ahead
            await wait_in_line("fourth")
        assert outcomes == ["fourth went without"]
        release.set()

    assert outcomes == ["fourth went without", "first had", "second had", "third had"]


async def test_with_no_history_a_result_waits_its_patience() -> None:
    clock = Clock()
    turns = Turns(at_once=2, patience=0.3, clock=clock)
    release = anyio.Event()
    had: list[bool] = []

    async def hold() -> None:
        async with turns.turn() as turn:
            had.append(turn)
            await release.wait()

    async with anyio.create_task_group() as group:
        group.start_soon(hold)
        group.start_soon(hold)
        await anyio.wait_all_tasks_blocked()
        had.append(await take_turn(turns, clock, 0.0))  # no turn has ended yet: it waits 0.3 s
        release.set()

    assert had == [True, True, False]
    assert await take_turn(turns, clock, 0.0), "free again"
