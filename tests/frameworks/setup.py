"""Create one virtualenv per agent framework, for tests/test_frameworks.py.

    python3 tests/frameworks/setup.py            # all of them (about 2 minutes, once)
    python3 tests/frameworks/setup.py langchain  # just one

Each framework gets its own environment because some pin another major version of `mcp`
than this server needs; the server itself always runs from the interpreter of the tests.
The pins in requirements/ are the versions the tests were written against. A virtualenv
is rebuilt only when its requirements file changes.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import venv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
VENVS = ROOT / ".framework-venvs"
REQUIREMENTS = Path(__file__).resolve().parent / "requirements"
STAMP = ".requirements-sha256"


def ensure(name: str) -> str:
    requirements = REQUIREMENTS / f"{name}.txt"
    target = VENVS / name
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if (target / STAMP).exists() and (target / STAMP).read_text() == digest:
        return f"{name}: up to date"
    if target.is_symlink():
        target.unlink()
    shutil.rmtree(target, ignore_errors=True)
    venv.EnvBuilder(with_pip=True).create(target)
    python = str(target / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(requirements)], check=True)
    (target / STAMP).write_text(digest)
    return f"{name}: installed"


def main(names: list[str]) -> int:
    names = names or sorted(path.stem for path in REQUIREMENTS.glob("*.txt"))
    with ThreadPoolExecutor(max_workers=len(names)) as pool:  # downloads overlap
        for line in pool.map(ensure, names):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
