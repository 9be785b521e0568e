"""Turns at the decoders. Decoding is CPU and memory (a decoded 1080P frame is 6 MB), so a
few run at once and the rest queue; a result waits for a turn at most `patience` seconds,
then goes out without its sheet. When the queue ahead cannot clear within that time (turns
last about as long as recent ones did), the result does not wait at all: when hundreds of
videos finish together, a wait that ends without a turn only delays the result."""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager

import anyio

# A typical turn is the median of the latest ones: a few slow turns (a long video, the
# event loop busy) must not make a queue that clears in time look hopeless. Measured at
# N = 300: median turn 0.11 s, while a smoothed mean read 0.21-0.27 s and turned away a
# quarter of the results that would have had a sheet.
RECENT_TURNS = 31


class Turns:
    def __init__(self, at_once: int, patience: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._limiter = anyio.CapacityLimiter(at_once)
        self._patience = patience
        self._clock = clock
        self._recent: deque[float] = deque(maxlen=RECENT_TURNS)  # seconds the latest turns lasted

    @asynccontextmanager
    async def turn(self) -> AsyncGenerator[bool]:
        """Yields whether a turn was had (the body runs either way)."""
        if self._hopeless() or not await self._acquired():
            yield False
            return
        started = self._clock()
        try:
            yield True
        finally:
            self._limiter.release()
        # Only a turn that ran to its end says how long turns take (not one cut by a cancel).
        self._recent.append(self._clock() - started)

    def _hopeless(self) -> bool:
        """Every turn is taken and the queue ahead, with this one, would outlast the patience."""
        counts = self._limiter.statistics()
        at_once = self._limiter.total_tokens
        if counts.borrowed_tokens < at_once or not self._recent:
            return False
        typical = statistics.median(self._recent)
        return (counts.tasks_waiting + 1) * typical / at_once > self._patience

    async def _acquired(self) -> bool:
        with anyio.move_on_after(self._patience):
            await self._limiter.acquire()
            return True
        return False
