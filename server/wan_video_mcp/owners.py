"""Which process owns a piece of unfinished work (a submit claim, a partial download),
and whether that process still lives.

A claim that outlives its process must not block identical requests until a timer
runs out, nor be mistaken for work in progress: on this host, a process is known
dead the moment its id is gone or belongs to a newer process (ids are reused, so the
start time is part of the identity). A process on another host cannot be checked;
its claims fall back to their lease.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from functools import cache

# Two readings of one process's start time differ by less than this (clock-tick rounding).
START_TOLERANCE = 1.0


@dataclass(frozen=True)
class ProcessOwner:
    host: str  # a short hash of the host name: file-name safe, and no name leaks into files
    pid: int
    started: int  # the process's start time, whole seconds since the epoch

    @property
    def token(self) -> str:
        return f"{self.host}-{self.pid}-{self.started}"

    @classmethod
    def from_token(cls, token: str) -> ProcessOwner | None:
        host, _, rest = token.partition("-")
        pid, _, started = rest.partition("-")
        if not (host and pid.isdigit() and started.isdigit()):
            return None
        return cls(host, int(pid), int(started))

    @classmethod
    def current(cls) -> ProcessOwner:
        return _current()

    def alive(self) -> bool | None:
        """Whether the owner still runs; None when that cannot be told (another host, no access)."""
        if self.host != _host_hash():
            return None
        import psutil  # noqa: PLC0415  (on first use: starting the server does not need it)

        try:
            started = psutil.Process(self.pid).create_time()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return False
        except psutil.AccessDenied:
            return None
        return abs(started - self.started) <= START_TOLERANCE


@cache
def _current() -> ProcessOwner:
    import psutil  # noqa: PLC0415  (as above)

    pid = os.getpid()
    return ProcessOwner(_host_hash(), pid, int(psutil.Process(pid).create_time()))


@cache
def _host_hash() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
