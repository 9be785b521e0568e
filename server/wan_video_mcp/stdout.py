"""The stdio transport's stdout, written in batches.

The SDK's writer makes two trips to a worker thread per message (write, then flush) and
every sender waits for both; with a thousand calls reporting progress, a finished job's
result waited ~4 s in that queue (benchmarks/waits.py). Here a message is queued at once,
and one drain task writes everything queued in one trip, in order. A sender waits only
while more than HIGH_WATER bytes are queued (a client that stopped reading).

While serving, fd 1 points at stderr, as the SDK does it: a stray print (ours or a
library's) must never corrupt the JSON-RPC stream.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager, suppress
from typing import BinaryIO

import anyio
import anyio.to_thread

HIGH_WATER = 1 << 20


class BatchedStdout:
    """What the SDK's stdio transport calls on its stdout: `write` and `flush`."""

    def __init__(self, wire: BinaryIO) -> None:
        self._wire = wire
        self._queued: list[bytes] = []
        self._size = 0
        self._ready = anyio.Event()
        self._drained = anyio.Event()
        self._closing = False

    async def write(self, text: str) -> int:  # one message and its newline
        self._queued.append(text.encode())
        self._size += len(self._queued[-1])
        return len(text)

    async def flush(self) -> None:
        self._ready.set()
        while self._size > HIGH_WATER:
            await self._drained.wait()

    async def drain(self) -> None:
        """Write what is queued, trip after trip, until closed and nothing is left."""
        while not (self._closing and not self._queued):
            await self._ready.wait()
            self._ready = anyio.Event()
            batch, self._queued, self._size = b"".join(self._queued), [], 0
            if batch:
                await anyio.to_thread.run_sync(self._send, batch)
            self._drained.set()
            self._drained = anyio.Event()

    def close_when_drained(self) -> None:
        self._closing = True
        self._ready.set()

    def _send(self, data: bytes) -> None:
        self._wire.write(data)
        self._wire.flush()


@asynccontextmanager
async def batched_stdout() -> AsyncGenerator[BatchedStdout]:
    wire, restore = _claim_stdout()
    try:
        stdout = BatchedStdout(wire)
        async with anyio.create_task_group() as drainer:
            drainer.start_soon(stdout.drain)
            try:
                yield stdout
            finally:
                stdout.close_when_drained()
    finally:
        restore()


def _claim_stdout() -> tuple[BinaryIO, Callable[[], None]]:
    """The wire (a private copy of fd 1) and how to give fd 1 back; where descriptors
    cannot be moved (stdout is not a real file), sys.stdout's own buffer, as is."""
    try:
        fd = sys.stdout.fileno()
        private = os.dup(fd)
    except (OSError, ValueError, AttributeError):
        return sys.stdout.buffer, lambda: None
    wire = os.fdopen(private, "wb")
    with suppress(OSError):
        os.dup2(sys.stderr.fileno(), fd)

    def restore() -> None:
        with suppress(OSError):
            os.dup2(private, fd)
        wire.close()

    return wire, restore
