"""Daily and monthly caps on spending, counted from the journal: each job submitted in the UTC
day or calendar month counts its actual charge once known, else its estimate (an upper bound
where an input's length is unknown); failed, cancelled and refused jobs count nothing.

A submit whose estimate would pass what is left is refused before anything is sent. Calls in
flight in this process reserve their estimate until their claim is journaled, so two calls at
once cannot both spend the last of a budget."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime

import anyio

from wan_video_mcp.costs.model import Cost
from wan_video_mcp.errors import BudgetExceeded
from wan_video_mcp.journal import Journal, JournalRecord
from wan_video_mcp.tasks import utc_now

# Jobs that cost nothing: refused at submit, failed (providers document no charge on failure),
# or cancelled while still queued.
FREE_STATES = frozenset({"rejected", "failed", "canceled"})

CostOf = Callable[[JournalRecord], Cost | None]


@dataclass(frozen=True)
class Spend:
    currency: str
    today: float
    month: float
    daily_cap: float | None
    monthly_cap: float | None

    def left(self) -> float | None:
        """What may still be spent now (the tighter cap), or None with no cap."""
        binding = self.binding()
        return None if binding is None else binding[1]

    def binding(self) -> tuple[str, float] | None:
        """The cap that leaves least (its setting's name) and what it leaves."""
        caps = [
            (name, max(0.0, cap - spent))
            for name, cap, spent in (
                ("WAN_MCP_DAILY_BUDGET", self.daily_cap, self.today),
                ("WAN_MCP_MONTHLY_BUDGET", self.monthly_cap, self.month),
            )
            if cap is not None
        ]
        return min(caps, key=lambda cap: cap[1]) if caps else None

    def without(self, amount: float) -> Spend:
        """The spend before a job of `amount` counted in it today."""
        return replace(self, today=self.today - amount, month=self.month - amount)

    def summary(self) -> str:
        parts = [_part("today (UTC day)", self.today, self.daily_cap, self.currency)]
        parts.append(_part("this month", self.month, self.monthly_cap, self.currency))
        return "; ".join(parts)


class Budget:
    def __init__(
        self, journal: Journal, cost_of: CostOf, currency: str, daily: float | None, monthly: float | None
    ) -> None:
        self._journal = journal
        self._cost_of = cost_of
        self._currency = currency
        self._daily = daily
        self._monthly = monthly
        self._reserved = 0.0
        self._lock = anyio.Lock()

    @property
    def capped(self) -> bool:
        return self._daily is not None or self._monthly is not None

    async def spend(self, now: datetime | None = None) -> Spend:
        now = now or utc_now()
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        records = await self._journal.submitted_since(month_start)
        counted = [(record.submitted_at, self._counted(record)) for record in records]
        return Spend(
            currency=self._currency,
            today=round(sum(amount for when, amount in counted if when >= day_start), 4),
            month=round(sum(amount for _, amount in counted), 4),
            daily_cap=self._daily,
            monthly_cap=self._monthly,
        )

    @asynccontextmanager
    async def reserve(self, cost: Cost) -> AsyncGenerator[None]:
        """Hold `cost` against the caps while the call claims its journal row; refuse when it
        would pass what is left."""
        amount = cost.estimate or 0.0
        async with self._lock:
            if self.capped and amount > 0:
                spend = await self.spend()
                left = spend.left()
                if left is not None and amount > left - self._reserved:
                    raise BudgetExceeded(_refusal(cost, spend, left - self._reserved))
            self._reserved += amount
        try:
            yield
        finally:
            self._reserved -= amount

    async def refuse_if_past_a_cap(self, cost: Cost, claimed_at: datetime) -> None:
        """For a job claimed (so counted in the spend) at `claimed_at` but admitted as spending
        nothing: refuse it, as `reserve` would have, if the budget could not take it. The spend
        is the one of the day and month it is counted in (a check just past midnight UTC must
        not take it out of a day it is not in)."""
        amount = cost.estimate or 0.0
        if not self.capped or amount <= 0:
            return
        async with self._lock:
            before = (await self.spend(claimed_at)).without(amount)
            left = before.left()
            if left is not None and amount > left - self._reserved:
                raise BudgetExceeded(_refusal(cost, before, left - self._reserved))

    def _counted(self, record: JournalRecord) -> float:
        if record.state in FREE_STATES:
            return 0.0
        cost = self._cost_of(record)
        return cost.counted if cost is not None else 0.0


def _part(label: str, spent: float, cap: float | None, currency: str) -> str:
    if cap is None:
        return f"{label}: {spent:.2f} {currency}, no cap"
    return f"{label}: {spent:.2f} of {cap:.2f} {currency}"


def _refusal(cost: Cost, spend: Spend, left: float) -> str:
    name, _ = spend.binding() or ("WAN_MCP_DAILY_BUDGET", 0.0)
    period = "day (UTC)" if name == "WAN_MCP_DAILY_BUDGET" else "month"
    return (
        f"This job's estimate is {cost.estimate:.2f} {cost.currency} ({cost.basis}), but only "
        f"{max(0.0, left):.2f} {cost.currency} of the budget is left (spent {spend.summary()}). Nothing was "
        f"sent. Ask the user to raise {name}, wait for the next {period}, or make the job cheaper "
        "(shorter, 720P)."
    )
