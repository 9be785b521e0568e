"""At most a few status queries in flight per provider; the rest wait their turn here, briefly.

A thousand waits on their own schedules can have hundreds of queries due in the same second.
httpcore's connection pool, on every request and every response close, walks each of its
connections (probing the idle ones' sockets) and its queued requests: with hundreds of queries
in flight on up to 100 connections, that bookkeeping took about a fifth of the event loop's
time with 1,000 jobs. Queued here instead (first come, first served, constant work per query),
a burst reaches the provider a few queries at a time instead of hundreds at once, on few
connections. Submits, cancels and uploads do not queue here: they are few, and a submit must
never be kept waiting behind polls.

The queue smooths bursts; it must never become a bottleneck or a single point of failure. A
query that has waited `LONGEST_WAIT` for a slot goes anyway: queries that hang at a provider
(holding slots for up to the HTTP timeout) delay the others by at most that, and when a slow
provider's answers come in at fewer queries per second than the jobs need, the excess flows
past the queue instead of piling up in it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import anyio

# On loopback a query takes a few milliseconds, at a provider ~0.1-0.5 s: 16-80 queries/s, as
# many as providers' query limits allow (DashScope: about 20/s). With 1,000 jobs the pool's
# share of the event loop's time went from 22 % to 12 % (16 at once: 17 %), and the server's
# peak memory down by ~6-10 MB.
AT_ONCE = 8
# Well under a one-shot look's budget (`get_task` with `wait_seconds: 0` gets 0.75 s and more),
# well over the few milliseconds a burst's queries wait on loopback.
LONGEST_WAIT = 0.5


class StatusQueries:
    def __init__(self, at_once: int = AT_ONCE, longest_wait: float = LONGEST_WAIT) -> None:
        self._at_once = at_once
        self._longest_wait = longest_wait
        self._turns: dict[str, anyio.Semaphore] = {}

    @asynccontextmanager
    async def turn(self, provider: str) -> AsyncGenerator[None]:
        """Hold one of `provider`'s query slots for the block, or run it without one after
        `longest_wait` seconds in the queue."""
        turns = self._turns.get(provider)
        if turns is None:
            turns = self._turns[provider] = anyio.Semaphore(self._at_once)
        held = False
        with anyio.move_on_after(self._longest_wait):
            await turns.acquire()
            held = True
        try:
            yield
        finally:
            if held:
                turns.release()
