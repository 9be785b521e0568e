"""The price table: per provider (and DashScope region) x model x resolution, the price of one
billed second, with where it was read and when; and the combinations with no published price.

The table ships in the package (prices.json); WAN_MCP_PRICES_FILE names a file of the same
shape whose rows replace or extend it (prices change; a contract may differ)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from wan_video_mcp.errors import ConfigurationError

ANY_MODEL = "*"


class PriceRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str
    region: str | None = None  # DashScope's region; None: every region
    model: str
    resolution: str
    per_second: float = Field(ge=0)
    bills_input_video: bool = False  # input video seconds are billed like output seconds
    source: str
    read_on: str
    confidence: str = "official"


class Unpriced(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str
    region: str | None = None
    model: str = ANY_MODEL
    reason: str


class PriceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str = "USD"
    prices: list[PriceRow] = Field(default_factory=list[PriceRow])
    unpriced: list[Unpriced] = Field(default_factory=list[Unpriced])


@dataclass(frozen=True)
class Lookup:
    """A price for one call's resolution, or why there is none."""

    row: PriceRow | None
    reason: str | None = None


class PriceTable:
    def __init__(self, *layers: PriceFile) -> None:
        # Looked up in order: a user's file first, then the shipped table.
        self.currency = layers[-1].currency
        self._layers = layers

    @classmethod
    def load(cls, user_file: Path | None = None) -> PriceTable:
        shipped = files("wan_video_mcp.costs").joinpath("prices.json").read_text(encoding="utf-8")
        table = PriceFile.model_validate_json(shipped)
        if user_file is None:
            return cls(table)
        user = _read_user_file(user_file)
        if user.currency != table.currency:
            raise ConfigurationError(
                f"WAN_MCP_PRICES_FILE prices are in {user.currency}, the shipped table's in "
                f"{table.currency}; budgets add them up, so use one currency."
            )
        return cls(user, table)

    def lookup(self, provider: str, region: str | None, model: str, resolution: str) -> Lookup:
        for layer in self._layers:
            if (found := _in_layer(layer, provider, region, model, resolution)) is not None:
                return found
        return Lookup(None, f"the price table has no {provider} price for {model} at {resolution}")


def _in_layer(
    layer: PriceFile, provider: str, region: str | None, model: str, resolution: str
) -> Lookup | None:
    """In one file: a row for this very region, else one for every region, else a reason none is published."""
    rows = [
        row
        for row in layer.prices
        if (row.provider, row.model, row.resolution) == (provider, model, resolution)
    ]
    for wanted in (region, None):
        if (row := next((row for row in rows if row.region == wanted), None)) is not None:
            return Lookup(row)
    for entry in layer.unpriced:
        if (
            entry.provider == provider
            and entry.region in (None, region)
            and entry.model in (model, ANY_MODEL)
        ):
            return Lookup(None, entry.reason)
    return None


def _read_user_file(path: Path) -> PriceFile:
    try:
        return PriceFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        problem = "; ".join(_described(error) for error in exc.errors()[:3])
    except (OSError, ValueError) as exc:
        problem = _first_line(exc)
    raise ConfigurationError(
        f"WAN_MCP_PRICES_FILE {path} cannot be used: {problem}. It takes the shape of the shipped "
        "costs/prices.json: {currency, prices: [{provider, model, resolution, per_second, source, read_on}], "
        "unpriced: [{provider, model, reason}]}."
    )


def _described(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}"


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]
