"""The `cost` every generating tool's result carries (part of the tools' outputSchema)."""

from __future__ import annotations

from pydantic import Field

from wan_video_mcp.deferred import DeferredModel


class Cost(DeferredModel):
    """What the job costs: estimated from the price table before submitting; after success, the
    provider's reported usage priced the same way (or its own figure)."""

    estimate: float | None = Field(
        description="Expected charge in `currency`; null when no price is published (`basis` says why)."
    )
    upper_bound: bool = Field(
        default=False,
        description="True when `estimate` is a maximum: an input's length is not known (a URL).",
    )
    currency: str
    basis: str = Field(description='How it was reckoned ("5 s x 1080P at 0.15 USD/s"), or why there is none.')
    billed_seconds: float | None = None
    price_source: str | None = Field(
        default=None, description="Where the price was read, and how sure it is."
    )
    price_read_on: str | None = None
    actual: float | None = Field(
        default=None,
        description="The charge from the provider's reported usage, after the job; null until then.",
    )
    actual_basis: str | None = None
    actual_reported: bool = Field(
        default=False,
        description="True when the provider itself stated `actual`; false: its reported usage, priced by "
        "the table.",
    )

    @property
    def counted(self) -> float:
        """What a budget counts for this job: the actual charge once known, else the estimate."""
        if self.actual is not None:
            return self.actual
        return self.estimate or 0.0
