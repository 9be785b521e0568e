"""At most a few requests of a kind in flight per provider; the rest wait their turn here, briefly.

A thousand waits on their own schedules can have hundreds of status queries due in the same
second, and a thousand calls made at once as many submits. httpcore's connection pool, on every
request and every response close, walks each of its connections (probing the idle ones' sockets)
and its queued requests: with hundreds of queries in flight on up to 100 connections, that
bookkeeping took about a fifth of the event loop's time with 1,000 jobs, and every connection and
queued request holds memory. Queued here instead (first come, first served, constant work per
request), a burst reaches the provider a few requests at a time, on few connections. Status
queries and submits queue apart: a submit is never kept waiting behind polls.

The queue smooths bursts; it must never become a bottleneck or a single point of failure. A
request that has waited its kind's longest wait for a slot goes anyway: requests that hang at a
provider (holding slots for up to the HTTP timeout) delay the others by at most that, and when a
slow provider's answers come in at fewer requests per second than the jobs need, the excess flows
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
STATUS_AT_ONCE = 8
# Well under a one-shot look's budget (`get_task` with `wait_seconds: 0` gets 0.75 s and more),
# well over the few milliseconds a burst's queries wait on loopback.
STATUS_LONGEST_WAIT = 0.5

# A thousand calls at once: submitted 16 at a time they took no longer on loopback (3.2 s vs
# 3.6-4.1 s), and the server held ~5 MB less while waiting on them (fewer connections opened,
# fewer requests built ahead of their turn).
SUBMITS_AT_ONCE = 16
# Submits are paid and answered in about a second; 5 s in the queue is the most a call's submit
# is held back. A submit's journal claim outlives its request by this wait and more
# (submitting.LEASE_MARGIN is built from it).
SUBMITS_LONGEST_WAIT = 5.0


class InFlight:
    def __init__(self, at_once: int, longest_wait: float) -> None:
        self._at_once = at_once
        self._longest_wait = longest_wait
        self._turns: dict[str, anyio.Semaphore] = {}

    @asynccontextmanager
    async def turn(self, provider: str) -> AsyncGenerator[None]:
        """Hold one of `provider`'s slots for the block, or run it without one after
        `longest_wait` seconds in the queue."""
        held = await self.take(provider)
        try:
            yield
        finally:
            self.give_back(provider, held)

    async def take(self, provider: str) -> bool:
        """Wait for one of `provider`'s slots, at most `longest_wait` seconds: whether one was
        taken (then `give_back` it). Cancelled while waiting, nothing is held."""
        turns = self._turns.get(provider)
        if turns is None:
            turns = self._turns[provider] = anyio.Semaphore(self._at_once)
        with anyio.move_on_after(self._longest_wait):
            await turns.acquire()
            return True
        return False

    def give_back(self, provider: str, held: bool) -> None:
        if held:
            self._turns[provider].release()


def status_queries() -> InFlight:
    return InFlight(STATUS_AT_ONCE, STATUS_LONGEST_WAIT)


def submits() -> InFlight:
    return InFlight(SUBMITS_AT_ONCE, SUBMITS_LONGEST_WAIT)
