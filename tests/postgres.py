"""A real PostgreSQL server for the tests, started from Debian's `postgresql` binaries
(initdb/pg_ctl) in a temporary folder on a loopback port, and a fresh database per test.

Without the binaries the tests that need it skip with the command that installs them; under
CI=true they fail instead, so CI always runs them (`.ci/run` installs the package)."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from servers import free_port

HINT = "install PostgreSQL's server (Debian: apt-get install postgresql) to run the PostgreSQL tests"
_numbers = itertools.count(1)


def server_binaries() -> Path | None:
    """The folder with initdb and pg_ctl: on PATH, or where Debian puts them."""
    if found := shutil.which("initdb"):
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _as_server_user(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: as root, run them as Debian's postgres user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str]) -> None:
    subprocess.run(_as_server_user(command), check=True, capture_output=True, timeout=120)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server; yields the URL of its `postgres` database (user `wan`, trust auth)."""
    binaries = server_binaries()
    if binaries is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not installed; {HINT}")
        pytest.skip(HINT)
    folder = Path(tempfile.mkdtemp(prefix="wan-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", free_port()
    _run([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "wan", "--no-sync", "-E", "UTF8"])
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    _run([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"])
    try:
        yield f"postgresql://wan@127.0.0.1:{port}/postgres"
    finally:
        _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new empty database on the server; its URL."""
    import psycopg

    name = f"t{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(server_url, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"'.encode())
    return server_url.rsplit("/", 1)[0] + f"/{name}"
