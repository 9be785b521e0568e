"""Models defined at start-up but used only later build their validators then (or at warm-up,
lifetime.py), not on the way to the first `tools/list`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DeferredModel(BaseModel):
    model_config = ConfigDict(defer_build=True)


def build_deferred_models() -> None:
    """Build every deferred model's validator now, so that no call pays for it (one that cannot
    be built yet fails at its first use, as it would without this)."""
    pending: list[type[BaseModel]] = [DeferredModel]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model is not DeferredModel:
            model.model_rebuild(raise_errors=False)
