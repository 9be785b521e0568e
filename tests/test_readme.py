"""README.md stays true: every tool parameter and every setting is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from wan_video_mcp.http.config import HttpSettings
from wan_video_mcp.params import EditVideoArgs, GetTaskArgs, ReferenceVideoArgs, VaceEditArgs
from wan_video_mcp.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
ENV_EXAMPLE = (Path(__file__).resolve().parent.parent / "config" / "wan-video-mcp.env.example").read_text()


@pytest.mark.parametrize("model", [ReferenceVideoArgs, EditVideoArgs, VaceEditArgs, GetTaskArgs])
def test_every_tool_parameter_is_documented(model: type) -> None:
    missing = [name for name in model.model_fields if f"`{name}`" not in README]
    assert not missing, f"README.md does not mention {missing}"


def test_every_setting_is_documented() -> None:
    fields = [*Settings.model_fields.values(), *HttpSettings.model_fields.values()]
    variables = [field.validation_alias.choices[0] for field in fields]  # type: ignore[union-attr]
    assert [v for v in variables if f"`{v}`" not in README] == []
    assert [v for v in variables if f"{v}=" not in ENV_EXAMPLE] == []


def test_the_quick_start_commands_are_the_ones_ci_runs() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "python3 -m pytest" in README and "python3 -m pytest" in ci
    assert "python3 -m wan_video_mcp demo" in README
