"""Polling that outlives the call: when a call returns with its job still running, this
process keeps polling the job, on the same schedule, until the next call for it arrives or
`WAN_MCP_LINGER_SECONDS` pass (30 by default: long enough for an agent's next call, even one
read late by a server busy with a thousand others; short enough that a job nobody asks about
again costs only a few status queries). A job that ends in between would otherwise go unseen
until that call came. The next call carries on from the lingering wait: a job that ended
meanwhile is already journaled (its video already saving), and an answer this fresh is not
asked for again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import anyio
from anyio.abc import TaskGroup

from wan_video_mcp.waiting import WaitOutcome

log = logging.getLogger(__name__)

# An answer younger than this is what a fresh status query would say.
FRESH_SECONDS = 5.0

Lingerer = Callable[[WaitOutcome], Awaitable[None]]


@dataclass
class _Linger:
    outcome: WaitOutcome
    scope: anyio.CancelScope


class Lingering:
    """The lingering waits of this process, one per task at most, none while a call follows it."""

    def __init__(self, background: TaskGroup) -> None:
        self._background = background
        self._lingers: dict[str, _Linger] = {}
        self._following: Counter[str] = Counter()

    @contextmanager
    def following(self, key: str) -> Generator[WaitOutcome | None]:
        """While a call follows the task: its lingering wait stops, and what that wait saw is
        handed over (None if there was none)."""
        self._following[key] += 1
        try:
            yield self._take(key)
        finally:
            self._following[key] -= 1
            if not self._following[key]:
                del self._following[key]

    def start(self, key: str, outcome: WaitOutcome, linger: Lingerer) -> None:
        """Go on polling after a call returned with the task still running (unless another call
        still follows it)."""
        if self._following[key] or key in self._lingers:
            return
        entry = self._lingers[key] = _Linger(outcome, anyio.CancelScope())
        self._background.start_soon(self._run, key, entry, linger)

    def forget(self, key: str) -> None:
        """Something here changed the task (a cancel): the next call must ask the provider."""
        self._take(key)

    def _take(self, key: str) -> WaitOutcome | None:
        entry = self._lingers.pop(key, None)
        if entry is None:
            return None
        entry.scope.cancel()
        return replace(entry.outcome)  # a copy: the stopping wait may still write to its own

    async def _run(self, key: str, entry: _Linger, linger: Lingerer) -> None:
        with entry.scope:
            try:
                await linger(entry.outcome)
            except Exception:
                # A background wait must never take the server down; the next call asks again.
                log.warning("lingering wait for %s failed", key, exc_info=True)
        if self._lingers.get(key) is entry:
            del self._lingers[key]


def fresh(outcome: WaitOutcome | None, now: float) -> bool:
    """Whether a handed-over answer is recent enough to stand in for a new status query."""
    return (
        outcome is not None and outcome.answered_at is not None and now - outcome.answered_at < FRESH_SECONDS
    )
