"""Lint and strict type checks, as part of the one test command.

Skipped (never failed) only when a checker itself cannot start, e.g. pyright's
first run cannot fetch its Node package; a finding always fails.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def require(module: str) -> None:
    if shutil.which(module) is None and run(sys.executable, "-m", module, "--version").returncode != 0:
        pytest.skip(f"{module} is not installed (pip install -e '.[dev]')")


def test_ruff_finds_nothing() -> None:
    require("ruff")
    done = run(sys.executable, "-m", "ruff", "check", "server", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_code_is_formatted() -> None:
    require("ruff")
    done = run(sys.executable, "-m", "ruff", "format", "--check", "server", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_pyright_strict_finds_nothing() -> None:
    require("pyright")
    done = run(sys.executable, "-m", "pyright", "--pythonpath", sys.executable)
    summary = re.search(r"(\d+) errors?, (\d+) warnings?", done.stdout)
    if summary is None:
        pytest.skip(f"pyright could not start: {(done.stdout + done.stderr)[-500:]}")
    assert summary.group(1) == "0", done.stdout
