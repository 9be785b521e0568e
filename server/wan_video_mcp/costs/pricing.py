"""Prices for calls: the estimate before a submit, and the actual charge from the usage a
provider reports after the job, both in the price table's currency."""

from __future__ import annotations

from typing import Any

from wan_video_mcp.costs.billing import Billing, billing_of
from wan_video_mcp.costs.model import Cost
from wan_video_mcp.costs.table import PriceRow, PriceTable
from wan_video_mcp.inputs.files import LocalFile
from wan_video_mcp.params import GeneratingArgs


class Pricing:
    def __init__(self, table: PriceTable, dashscope_region: str) -> None:
        self.table = table
        self._region = dashscope_region

    def estimate(self, provider: str, args: GeneratingArgs, files: list[LocalFile]) -> Cost:
        billing = billing_of(args, files)
        found = self.table.lookup(provider, self._region_of(provider), args.model, billing.resolution)
        if found.row is None:
            return Cost(estimate=None, currency=self.table.currency, basis=f"No estimate: {found.reason}.")
        return self._priced(found.row, billing)

    def with_actual(
        self, cost: Cost | None, provider: str, model: str, usage: dict[str, Any] | None
    ) -> Cost | None:
        """`cost` with the charge the provider's usage implies, where it reports one."""
        if cost is None or usage is None:
            return cost
        actual = self._actual(provider, model, usage)
        if actual is None:
            return cost
        amount, basis, reported = actual
        update = {"actual": round(amount, 4), "actual_basis": basis, "actual_reported": reported}
        return cost.model_copy(update=update)

    def _priced(self, row: PriceRow, billing: Billing) -> Cost:
        seconds = billing.seconds(row.bills_input_video)
        parts = (
            f"{billing.output_seconds:g} s out + {billing.input_seconds:g} s in"
            if (row.bills_input_video and billing.input_seconds)
            else f"{seconds:g} s"
        )
        bound = f"; {billing.bound}" if billing.bound else ""
        return Cost(
            estimate=round(seconds * row.per_second, 4),
            upper_bound=not billing.exact,
            currency=self.table.currency,
            basis=f"{parts} x {billing.resolution} at {row.per_second:g} {self.table.currency}/s{bound}",
            billed_seconds=seconds,
            price_source=f"{row.source} [{row.confidence}]",
            price_read_on=row.read_on,
        )

    def _actual(self, provider: str, model: str, usage: dict[str, Any]) -> tuple[float, str, bool] | None:
        spent = usage.get("usd_spent")  # AI/ML API reports its own charge
        if isinstance(spent, int | float) and self.table.currency == "USD":
            return float(spent), f"{spent:g} USD, as the provider reported it (usd_spent)", True
        if usage.get("video_count") == 0:
            return 0.0, "nothing was generated (video_count 0): not billed", False
        seconds = _billed_seconds(usage)
        resolution = _resolution(usage, model)
        if seconds is None or resolution is None:
            return None
        found = self.table.lookup(provider, self._region_of(provider), model, resolution)
        if found.row is None:
            return None
        price, inferred = found.row.per_second, found.row.confidence != "official"
        guess = "; the price is inferred, not published by the provider" if inferred else ""
        return (
            seconds * price,
            f"{seconds:g} billed s x {resolution} at {price:g} {self.table.currency}/s from the provider's "
            f"reported usage{guess}",
            False,
        )

    def _region_of(self, provider: str) -> str | None:
        return self._region if provider == "dashscope" else None


def _billed_seconds(usage: dict[str, Any]) -> float | None:
    # DashScope: `duration` = input + output seconds billed; VACE reports `video_duration`.
    for name in ("duration", "video_duration"):
        value = usage.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
    return None


def _resolution(usage: dict[str, Any], model: str) -> str | None:
    if model == "wan2.1-vace-plus":
        return "720P"
    tier = usage.get("SR")
    return f"{int(tier)}P" if isinstance(tier, int | float) and not isinstance(tier, bool) else None
