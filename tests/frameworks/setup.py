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


def digest_of(name: str) -> str:
    return hashlib.sha256((REQUIREMENTS / f"{name}.txt").read_bytes()).hexdigest()


def up_to_date(name: str) -> bool:
    stamp = VENVS / name / STAMP
    return stamp.exists() and stamp.read_text() == digest_of(name)


def create(name: str) -> None:
    """A fresh virtualenv for `name`. One at a time, before any install starts: a thread copying
    a Python binary while another forks lets the child hold the copy open for writing, and
    running the copy then fails with "Text file busy" (ETXTBSY)."""
    target = VENVS / name
    if target.is_symlink():
        target.unlink()
    shutil.rmtree(target, ignore_errors=True)
    venv.EnvBuilder(with_pip=True).create(target)


def install(name: str) -> str:
    target = VENVS / name
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS / f"{name}.txt")], check=True)
    (target / STAMP).write_text(digest_of(name))
    return f"{name}: installed"


def main(names: list[str]) -> int:
    names = names or sorted(path.stem for path in REQUIREMENTS.glob("*.txt"))
    stale = [name for name in names if not up_to_date(name)]
    for name in names:
        if name not in stale:
            print(f"{name}: up to date", flush=True)
    for name in stale:
        create(name)
    with ThreadPoolExecutor(max_workers=max(1, len(stale))) as pool:  # downloads overlap
        for line in pool.map(install, stale):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
