"""At most a few status queries in flight per provider; the rest wait their turn here.

A thousand waits on their own schedules can have hundreds of queries due in the same second.
httpcore's connection pool, on every request and every response close, walks each of its
connections (probing the idle ones' sockets) and its queued requests: with hundreds of queries
in flight on up to 100 connections, that bookkeeping took about a fifth of the event loop's
time with 1,000 jobs. Queued here instead (first come, first served, constant work per query),
status queries never need more connections than the pool keeps alive, and a burst reaches the
provider a few at a time instead of hundreds at once. Submits, cancels and uploads do not queue
here: they are few, and a submit must never be kept waiting behind polls.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import anyio

# On loopback a query takes a few milliseconds, at a provider ~0.1-0.5 s: 16-80 queries/s,
# as many as providers' query limits allow (DashScope: about 20/s). With 1,000 jobs the pool's
# share of the event loop's time went from 22 % to 12 % (16 at once: 17 %), and the server's
# peak memory down by ~6-10 MB.
AT_ONCE = 8


class StatusQueries:
    def __init__(self, at_once: int = AT_ONCE) -> None:
        self._at_once = at_once
        self._turns: dict[str, anyio.Semaphore] = {}

    @asynccontextmanager
    async def turn(self, provider: str) -> AsyncGenerator[None]:
        """Hold one of `provider`'s query slots for the block."""
        turns = self._turns.setdefault(provider, anyio.Semaphore(self._at_once))
        async with turns:
            yield
