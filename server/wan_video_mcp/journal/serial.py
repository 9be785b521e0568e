"""Blocking calls on one connection, one at a time, in as few trips to a worker thread as
possible. With a trip per call, each call also waited its turn through the event loop: a
thousand jobs finishing together queued for seconds behind each other's hand-overs, not
their queries (benchmarks/waits.py). Here calls queued while a trip is under way go
together on the next one, in the order they came; the caller of the first call still
waiting drives the next trip, and the others are woken when theirs is done."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")


class _Call(Generic[T]):
    def __init__(self, fn: Callable[[], T]) -> None:
        self.fn = fn
        self.taken = False  # on a trip: it runs (or ran) whatever happens to its caller
        self.finished = False
        self.wake = anyio.Event()  # set when finished, or when this caller is to drive
        self.value: T | None = None
        self.error: BaseException | None = RuntimeError("the journal call did not run")

    def run(self) -> None:
        try:
            self.value, self.error = self.fn(), None
        except Exception as exc:  # raised again in its own caller (result)
            self.error = exc

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # pyright: ignore[reportReturnType]  (set by run: T may include None)


class SerialRunner:
    def __init__(self) -> None:
        self._pending: deque[_Call[object]] = deque()
        self._driving = False

    async def run(self, fn: Callable[[], T]) -> T:
        call: _Call[object] = _Call(fn)
        self._pending.append(call)
        try:
            while not call.finished:
                if self._driving:
                    await call.wake.wait()
                    call.wake = anyio.Event()  # state is checked again before any wait
                else:
                    await self._trip()
        except BaseException:
            if not call.taken:  # cancelled while waiting: it never runs, as before it was queued
                self._pending.remove(call)
                self._hand_over()
            raise
        return call.result()  # pyright: ignore[reportReturnType]  (this call's own fn's value)

    async def _trip(self) -> None:
        self._driving = True
        batch = list(self._pending)
        self._pending.clear()
        for call in batch:
            call.taken = True
        try:
            # Shielded: every call taken runs, even when the driver's caller is cancelled
            # before the thread starts (a write is never lost or half done).
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_run_all, batch)
        finally:
            self._driving = False
            for call in batch:
                call.finished = True
                call.wake.set()
            self._hand_over()

    def _hand_over(self) -> None:
        """The first caller still waiting drives the next trip."""
        if self._pending and not self._driving:
            self._pending[0].wake.set()


def _run_all(batch: list[_Call[object]]) -> None:
    for call in batch:
        call.run()
