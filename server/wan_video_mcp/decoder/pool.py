"""The server's side of the decoder processes (worker.py): one started when a video needs
decoding and none is free, reused while work keeps coming, ended by itself once idle. Each
does one order at a time, and at most `at_once` run."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import sys
from dataclasses import dataclass

import anyio
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from wan_video_mcp.decoder.messages import TAKEN, Look, Order, look_from, order_line

log = logging.getLogger(__name__)

# A burst of finished videos keeps its decoders; a quiet server gives their memory back.
IDLE_SECONDS = 20.0
# A decoder idle nearly that long may be ending as an order reaches it: start a new one.
REUSE_WITHIN = 0.9
GRACE_SECONDS = 5.0  # for a decoder to end once its input is closed
LONGEST_ANSWER = 64 * 1024 * 1024  # a sheet of a few hundred KB in base64, with room to spare
# The decoder imports exactly what the server does: its `sys.path`, given whole (`-P`: not
# the working directory first, where a stray `av.py` would shadow a module in decoders only).
BOOT = (
    "import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
    "from wan_video_mcp.decoder.worker import run; run(sys.argv[2])"
)
# What a decoder needs of the environment to run Python and FFmpeg on any platform. Nothing
# else is passed on: no provider key, token, database URL or proxy credential is in it.
PASSED_ON = re.compile(
    r"(PATH|HOME|USERPROFILE|LANG|LC_\w+|TZ|TMPDIR|TEMP|TMP|SYSTEMROOT|SYSTEMDRIVE|WINDIR"
    r"|PYTHON\w+|LD_\w+|DYLD_\w+|MALLOC_\w+|GLIBC_TUNABLES)",
    re.IGNORECASE,
)


@dataclass
class _Decoder:
    process: Process
    answers: BufferedByteReceiveStream
    idle_since: float
    reused: bool = False  # taken from the free list: it may have ended, idle, since


class Decoders:
    def __init__(self, at_once: int, idle_seconds: float = IDLE_SECONDS) -> None:
        self._limiter = anyio.CapacityLimiter(at_once)
        self._idle_seconds = idle_seconds
        self._free: list[_Decoder] = []
        self._closed = False

    async def look(self, order: Order, limit: float, *, wait: float) -> Look | None:
        """The decoder's answer, or None when it took longer than `limit` seconds from the
        moment a decoder was free for it, starting one included (the decoder is ended:
        nothing keeps decoding after its time). No decoder free within `wait` seconds (a
        burst of work ahead): a `fault` saying so, at once."""
        if not await self._free_within(wait):
            log.warning("no decoder was free for %s within %g s", order.path, wait)
            return Look(fault=f"no decoder was free within {wait:g} s")
        try:
            return await self._within(order, limit)
        finally:
            self._limiter.release()

    async def _free_within(self, wait: float) -> bool:
        """A decoder's slot taken within `wait` seconds (the caller releases it), or not."""
        with anyio.move_on_after(wait):  # only the wait: the decoding has its own limit
            await self._limiter.acquire()
            return True
        return False

    async def _within(self, order: Order, limit: float) -> Look | None:
        with anyio.move_on_after(limit):
            try:
                return await self._answer(order)
            except (OSError, NotImplementedError) as exc:  # no process could be started
                log.warning("a decoder could not start: %s", exc)
                return Look(fault=f"its decoder could not start: {exc}")
        log.warning("reading %s took over %g s; its decoder was ended", order.path, limit)
        return None

    async def aclose(self) -> None:
        self._closed = True  # a decoder busy now is ended when it answers
        while self._free:
            await _end(self._free.pop())

    async def _answer(self, order: Order) -> Look:
        decoder = await self._take()
        try:
            taken = await _send(decoder, order_line(order)) and await _receive(decoder) == TAKEN
            answer = await _receive(decoder) if taken else None
        except BaseException:  # cancelled mid-order: its answer would go to the next order
            await _end(decoder, at_once=True)
            raise
        look = _parsed(answer)
        if look is not None:
            await self._give_back(decoder)
            return look
        status = await _end(decoder, at_once=answer is not None)
        if not taken and decoder.reused:  # it had ended, idle, before the order reached it
            return await self._answer(order)
        return _failure(order, taken, answer is not None, status)

    async def _take(self) -> _Decoder:
        while self._free:
            decoder = self._free.pop()  # the latest used: the furthest from ending idle
            if anyio.current_time() - decoder.idle_since < self._idle_seconds * REUSE_WITHIN:
                decoder.reused = True
                return decoder
            await _end(decoder)
        return await _start(self._idle_seconds)

    async def _give_back(self, decoder: _Decoder) -> None:
        if self._closed:
            await _end(decoder)
            return
        decoder.idle_since = anyio.current_time()
        self._free.append(decoder)


async def _start(idle_seconds: float) -> _Decoder:
    command = [sys.executable, "-P", "-c", BOOT, json.dumps(sys.path), str(idle_seconds)]
    # Its stderr is the server's: a decoder's crash report lands in the server's log.
    process = await anyio.open_process(
        command,
        stderr=None,
        env=_environment(),
        creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console window flashing (Windows)
    )
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
    """A line, or None when the decoder ended without one (or sent no line at all)."""
    try:
        return await decoder.answers.receive_until(b"\n", LONGEST_ANSWER)
    except (anyio.EndOfStream, anyio.IncompleteRead, anyio.DelimiterNotFound):
        return None


def _parsed(answer: bytes | None) -> Look | None:
    if answer is None:
        return None
    try:
        return look_from(answer)
    except (ValueError, TypeError, KeyError):
        return None


def _failure(order: Order, taken: bool, answered: bool, status: int | None) -> Look:
    how = f"signal {-status}" if status is not None and status < 0 else f"exit status {status}"
    if answered:
        fault = "its decoder's answer could not be read"
    elif not taken:
        fault = f"its decoder ended before reading it ({how})"
    else:
        log.warning("the decoder reading %s stopped (%s)", order.path, how)
        return Look(problem=f"the decoder stopped while reading it ({how})")
    log.warning("no look at %s: %s", order.path, fault)
    return Look(fault=fault)


async def _end(decoder: _Decoder, at_once: bool = False) -> int | None:
    """Ends the process -- killed (`at_once`), or by closing its input, killed only if it is
    still there after a grace period -- and returns its exit status."""
    with anyio.CancelScope(shield=True):
        if at_once:
            with contextlib.suppress(ProcessLookupError):
                decoder.process.kill()
        with anyio.move_on_after(GRACE_SECONDS):
            await decoder.process.aclose()  # cut short by the grace period, it kills
    return decoder.process.returncode


def _environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if PASSED_ON.fullmatch(name)}
