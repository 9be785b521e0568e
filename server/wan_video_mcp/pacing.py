"""When to poll: around the moment a job is expected to end.

A result can only be delivered at a poll, so the lag after a job ends is about half the
pause around that moment. Polls are spent where the end is likely: pauses short near the
expected end and long far from it -- each pause grows with the square root of how unlikely
an end is at that moment, which is what minimises the lag for a given number of polls.
The expectation comes from the provider's own percentage when it reports one, else from
how long this provider's recent jobs of the same model took (the journal); with neither,
the caller keeps its plain growing schedule.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from wan_video_mcp.locks import KeyedLocks

# Fewer finished jobs than this say too little about the next one.
MIN_SAMPLES = 3
SAMPLES = 20
# How sure an expectation can be (the spread of log run times): never a pinpoint (where a
# provider gives no times, our own poll lag is in the recorded ones), never hopeless.
MIN_SPREAD = 0.2
MAX_SPREAD = 0.8
# A percentage extrapolated to the end is a rough guess.
PERCENT_SPREAD = 0.3
# Longer "run times" are jobs collected late (seen by our polls: the provider gave no times),
# not run times (jobs take 1-10 minutes).
LONGEST_RUN_SECONDS = 1800.0
# Recent run times are read from the journal at most this often per provider and model.
REFRESH_SECONDS = 60.0
# The pause at the expected end and the longest before it, as fractions of the provider's
# recommended interval: the lag after an end is about half the pause around it.
NEAR = 1 / 4
FAR_BEFORE = 2.0
MAD_TO_SIGMA = 1.4826  # median absolute deviation -> standard deviation, for a normal spread


@dataclass(frozen=True)
class Expectation:
    """When a job should end (`median` seconds after it was submitted) and how sure that is
    (`spread`: the standard deviation of the log of run times)."""

    median: float
    spread: float

    @classmethod
    def from_history(cls, run_times: Sequence[float]) -> Expectation | None:
        # A job collected long after it ended (wait_seconds=0, get_task the next day) says
        # nothing about run times: its recorded end is when it was seen.
        logs = [math.log(seconds) for seconds in run_times if 0 < seconds <= LONGEST_RUN_SECONDS]
        if len(logs) < MIN_SAMPLES:
            return None
        centre = statistics.median(logs)
        deviation = MAD_TO_SIGMA * statistics.median(abs(value - centre) for value in logs)
        return cls(math.exp(centre), min(MAX_SPREAD, max(MIN_SPREAD, deviation)))

    @classmethod
    def from_percent(cls, elapsed: float, percent: float | None) -> Expectation | None:
        if percent is None or not 5 <= percent < 100 or elapsed <= 0:
            return None
        return cls(elapsed * 100 / percent, PERCENT_SPREAD)

    def pause_at(self, elapsed: float, interval: float) -> float:
        """The pause before the next poll, `elapsed` seconds after the submit, for a provider
        that recommends polling every `interval`: a quarter of it at the expected end, growing
        away from it, up to twice it before the end and to `interval` after (a late job is
        polled as often as ever)."""
        z = math.log(max(elapsed, 1.0) / self.median) / self.spread
        longest = interval * FAR_BEFORE if elapsed < self.median else interval
        growth = min(z * z / 4, math.log(FAR_BEFORE / NEAR))  # past that the cap applies anyway
        return min(longest, interval * NEAR * math.exp(growth))


class RunTimeSource(Protocol):
    async def run_times(self, provider: str, model: str, limit: int) -> list[float]: ...


class TypicalRunTimes:
    """What recent jobs say about the next one, per provider and model; read from the
    journal at most once a minute each (many waits start at once)."""

    def __init__(self, source: RunTimeSource) -> None:
        self._source = source
        self._known: dict[str, tuple[float, Expectation | None]] = {}
        self._reading = KeyedLocks()  # waits starting together share one read

    async def expectation(self, provider: str, model: str) -> Expectation | None:
        key = f"{provider}/{model}"
        async with self._reading.hold(key):
            known = self._known.get(key)
            if known is not None and time.monotonic() - known[0] < REFRESH_SECONDS:
                return known[1]
            expectation = Expectation.from_history(await self._source.run_times(provider, model, SAMPLES))
            self._known[key] = (time.monotonic(), expectation)
            return expectation
