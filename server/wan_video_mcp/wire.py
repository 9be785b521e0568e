"""The stdio transport's stdin and stdout, read and written in batches.

The SDK's own make a trip to a worker thread per line read and two per message written
(write, then flush), and everything waits for them: with a thousand calls reporting
progress, a finished job's result waited ~4 s behind the writes, and a thousand `get_task`
calls arriving together waited up to ~20 s to be read (benchmarks/waits.py). Here stdin is
read in chunks, each trip yielding every line it holds; a message written is queued at once,
and one drain task writes everything queued in one trip, in order. A sender waits only
while more than HIGH_WATER bytes are queued (a client that stopped reading).

While serving, fd 0 reads the null device and fd 1 points at stderr, as the SDK does it: a
child process or a stray print (ours or a library's) never touches the JSON-RPC stream.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager, contextmanager, suppress
from io import BufferedReader
from typing import BinaryIO, TextIO, cast

import anyio
import anyio.to_thread

HIGH_WATER = 1 << 20
CHUNK = 1 << 16


class ChunkedStdin:
    """What the SDK's stdio transport reads (`async for line in stdin`): whole lines, with
    their newline, from chunks of whatever the client has sent so far."""

    def __init__(self, wire: BufferedReader) -> None:
        self._wire = wire
        self._lines: deque[str] = deque()
        self._partial: list[bytes] = []  # a line still arriving (a big one spans many chunks)
        self._ended = False

    def __aiter__(self) -> ChunkedStdin:
        return self

    async def __anext__(self) -> str:
        while not self._lines:
            if self._ended:
                raise StopAsyncIteration
            self._take(await anyio.to_thread.run_sync(self._read, abandon_on_cancel=True))
        return self._lines.popleft()

    def _read(self) -> bytes:
        return self._wire.read1(CHUNK)  # what is there, waiting only when nothing is

    def _take(self, chunk: bytes) -> None:
        if not chunk:  # the end: a last line without its newline still counts
            self._ended = True
            chunk = b"\n" if self._partial else b""
        *complete, rest = chunk.split(b"\n")
        for piece in complete:
            line, self._partial = b"".join([*self._partial, piece]), []
            self._lines.append(line.decode("utf-8", errors="replace") + "\n")
        if rest:
            self._partial.append(rest)


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
async def stdio_wire() -> AsyncGenerator[tuple[ChunkedStdin, BatchedStdout]]:
    """The process's stdin and stdout, claimed for the JSON-RPC stream while serving."""
    with _claimed(sys.stdin, "rb", os.devnull) as inbound, _claimed(sys.stdout, "wb", None) as outbound:
        stdout = BatchedStdout(outbound)
        async with anyio.create_task_group() as drainer:
            drainer.start_soon(stdout.drain)
            try:
                yield ChunkedStdin(cast(BufferedReader, inbound)), stdout
            finally:
                stdout.close_when_drained()


@contextmanager
def _claimed(stream: TextIO, mode: str, diversion: str | None) -> Generator[BinaryIO]:
    """A private copy of `stream`'s descriptor, with the descriptor itself pointed at
    `diversion` (stderr when None) until the block ends; where descriptors cannot be moved
    (not a real file), the stream's own buffer, as is."""
    try:
        fd = stream.fileno()
        private = os.dup(fd)
    except (OSError, ValueError, AttributeError):
        yield stream.buffer
        return
    _divert(fd, diversion)
    wire = os.fdopen(private, mode)
    try:
        yield cast(BinaryIO, wire)
    finally:
        with suppress(OSError):
            os.dup2(private, fd)
        wire.close()


def _divert(fd: int, diversion: str | None) -> None:
    with suppress(OSError):
        if diversion is None:
            os.dup2(sys.stderr.fileno(), fd)
            return
        target = os.open(diversion, os.O_RDONLY)
        os.dup2(target, fd)
        os.close(target)
