"""The schemas `tools/list` serves are read from params/schemas.json (generating them at start-up
costs more than the rest of it): the file must be what the models give today, and it must ship."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from wan_video_mcp.params.freeze import current_schemas, frozen_text
from wan_video_mcp.params.schema import FROZEN_FILE

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "wan_video_mcp"
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_frozen_schemas_are_the_models_schemas() -> None:
    frozen = (PACKAGE / "params" / FROZEN_FILE).read_text(encoding="utf-8")

    assert frozen == frozen_text(current_schemas()), (
        "params/schemas.json is stale: run `python -m wan_video_mcp.params.freeze` and commit it"
    )


def test_every_data_file_of_the_package_is_in_the_wheel() -> None:
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]["wan_video_mcp"]
    data_files = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]

    assert "costs/prices.json" in data_files and FROZEN_FILE in {Path(f).name for f in data_files}
    missing = [name for name in data_files if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert missing == [], f"not listed in pyproject's package-data, so missing from a wheel: {missing}"
