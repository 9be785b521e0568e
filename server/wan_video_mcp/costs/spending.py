"""The service's one view of money: estimate a call, hold it against the budget while it is
submitted, and price a journaled task (its estimate, and the actual charge once reported)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from wan_video_mcp.costs.budget import Budget, Spend
from wan_video_mcp.costs.model import Cost
from wan_video_mcp.costs.pricing import Pricing
from wan_video_mcp.costs.table import PriceTable
from wan_video_mcp.inputs.files import LocalFile
from wan_video_mcp.journal import Journal, JournalRecord
from wan_video_mcp.params import GeneratingArgs
from wan_video_mcp.settings import Settings
from wan_video_mcp.tasks import TaskResult


class Spending:
    def __init__(self, pricing: Pricing, journal: Journal, settings: Settings) -> None:
        self.pricing = pricing
        self._budget = Budget(
            journal, self.cost_of, pricing.table.currency, settings.daily_budget, settings.monthly_budget
        )

    @classmethod
    def create(cls, settings: Settings, journal: Journal) -> Spending:
        table = PriceTable.load(settings.prices_file)
        return cls(Pricing(table, settings.dashscope_region), journal, settings)

    def estimate(self, provider: str, args: GeneratingArgs, files: list[LocalFile]) -> Cost:
        return self.pricing.estimate(provider, args, files)

    def cost_of(self, record: JournalRecord) -> Cost | None:
        estimate = Cost.model_validate(record.cost) if record.cost else None
        priced = self.pricing.with_actual(estimate, record.provider, record.model, record.usage)
        return _settled(priced, record.state)

    def priced(self, result: TaskResult) -> TaskResult:
        """`result` with its cost object: the journaled estimate (or why there is none) and the
        actual charge once the provider reported usage."""
        if result.status == "dry_run":
            return result
        cost = result.cost or Cost(
            estimate=None,
            currency=self.pricing.table.currency,
            basis="No estimate: this server did not submit this task, or did before it kept estimates.",
        )
        priced = self.pricing.with_actual(cost, result.provider, result.model, result.usage)
        return result.model_copy(update={"cost": _settled(priced, result.status)})

    def budget_note(self, cost: Cost) -> str | None:
        """A note for a job a budget cannot weigh before it runs (no published price)."""
        if not self._budget.capped or cost.estimate is not None:
            return None
        return "Not weighed against the budget before running: this provider publishes no price."

    async def spend(self) -> Spend:
        return await self._budget.spend()

    @asynccontextmanager
    async def admit(self, cost: Cost, new_job: bool) -> AsyncGenerator[None]:
        """Refuse (BudgetExceeded) a new job the budget cannot take; a call that returns an
        identical earlier task spends nothing and is always admitted."""
        if not new_job:
            yield
            return
        async with self._budget.reserve(cost):
            yield

    async def admit_after_all(self, cost: Cost, claimed: JournalRecord) -> None:
        """A job admitted as spending nothing (it was to return an identical task) that is new
        after all, `claimed` in the journal: BudgetExceeded if the budget cannot take it."""
        await self._budget.refuse_if_past_a_cap(cost, claimed.submitted_at)


# Jobs that end without a video are not billed (APIYI documents it; DashScope reports
# video_count 0 for them): their cost is 0 once they end so.
UNBILLED = {"canceled": "cancelled before it ran: not billed", "failed": "failed: not billed"}


def _settled(cost: Cost | None, status: str) -> Cost | None:
    if cost is None or status not in UNBILLED or cost.actual_reported:
        return cost
    return cost.model_copy(update={"actual": 0.0, "actual_basis": UNBILLED[status]})
