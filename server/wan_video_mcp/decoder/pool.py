"""The server's side of the decoder processes (worker.py): one started when a video needs
decoding and none is free, reused while work keeps coming, ended by itself once idle. Each
does one order at a time; how many run at once is the caller's to limit (the previewer's
turns)."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import dataclass

import anyio
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from wan_video_mcp.decoder.messages import TAKEN, Look, Order, look_from, order_line

# A burst of finished videos keeps its decoders; a quiet server gives their memory back.
IDLE_SECONDS = 20.0
# A decoder idle nearly that long may be ending as an order reaches it: start a new one.
REUSE_WITHIN = 0.9
GRACE_SECONDS = 5.0  # for a decoder to end once its input is closed
LONGEST_ANSWER = 64 * 1024 * 1024  # a sheet of a few hundred KB in base64, with room to spare
# A decoder reads files it is given and needs no credentials: none are passed on to it.
SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL|DATABASE_URL|^AWS_|^WAN_MCP_", re.I)


@dataclass
class _Decoder:
    process: Process
    answers: BufferedByteReceiveStream
    idle_since: float


class Decoders:
    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self._idle_seconds = idle_seconds
        self._free: list[_Decoder] = []

    async def look(self, order: Order, limit: float) -> Look | None:
        """The decoder's answer, or None when it took longer than `limit` seconds (the
        decoder is ended: nothing keeps decoding after its time)."""
        with anyio.move_on_after(limit):
            try:
                return await self._answer(order, retry=True)
            except OSError as exc:  # the decoder could not be started
                return Look(problem=f"the decoder could not start ({exc.strerror or exc})")
        return None

    async def aclose(self) -> None:
        while self._free:
            await _end(self._free.pop())

    async def _answer(self, order: Order, retry: bool) -> Look:
        decoder = await self._take()
        try:
            taken = await _send(decoder, order_line(order)) and await _receive(decoder) == TAKEN
            answer = await _receive(decoder) if taken else None
        except BaseException:  # cancelled mid-order: its answer would go to the next order
            await _end(decoder, at_once=True)
            raise
        if answer is not None:
            decoder.idle_since = anyio.current_time()
            self._free.append(decoder)
            return look_from(answer)
        status = await _end(decoder)
        # Never taken (the decoder was gone, or ended idle as it came): a new one takes it.
        if retry and not taken:
            return await self._answer(order, retry=False)
        return Look(problem=f"the decoder stopped while reading it ({_how(status)})")

    async def _take(self) -> _Decoder:
        while self._free:
            decoder = self._free.pop()  # the latest used: the furthest from ending idle
            if anyio.current_time() - decoder.idle_since < self._idle_seconds * REUSE_WITHIN:
                return decoder
            await _end(decoder)
        return await _start(self._idle_seconds)


async def _start(idle_seconds: float) -> _Decoder:
    command = [sys.executable, "-m", "wan_video_mcp.decoder.worker", str(idle_seconds)]
    # Its stderr is the server's: a decoder's crash report lands in the server's log.
    process = await anyio.open_process(command, stderr=None, env=_environment())
    assert process.stdout is not None
    return _Decoder(process, BufferedByteReceiveStream(process.stdout), anyio.current_time())


async def _send(decoder: _Decoder, order: bytes) -> bool:
    """Whether `order` reached the decoder (False: it is gone)."""
    assert decoder.process.stdin is not None
    try:
        await decoder.process.stdin.send(order)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        return False
    return True


async def _receive(decoder: _Decoder) -> bytes | None:
    """The answer, or None when the decoder ended without one (or sent no answer's line)."""
    try:
        return await decoder.answers.receive_until(b"\n", LONGEST_ANSWER)
    except (anyio.EndOfStream, anyio.IncompleteRead, anyio.DelimiterNotFound):
        return None


async def _end(decoder: _Decoder, at_once: bool = False) -> int | None:
    """Ends the process -- killed (`at_once`), or by closing its input, killed only if it is
    still there after a grace period -- and returns its exit status. One that has ended by
    itself is never signalled: that would reap it before asyncio does and lose its status."""
    with anyio.CancelScope(shield=True):
        if at_once:
            with contextlib.suppress(ProcessLookupError):
                decoder.process.kill()
        with anyio.move_on_after(GRACE_SECONDS):
            await decoder.process.aclose()  # cut short by the grace period, it kills
    return decoder.process.returncode


def _how(status: int | None) -> str:
    if status is not None and status < 0:
        return f"signal {-status}"
    return f"exit status {status}"


def _environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not SECRET_NAME.search(name)}
