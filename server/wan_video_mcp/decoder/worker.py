"""A decoder process (pool.py starts it with the server's own `sys.path`, then `run`): reads
orders from stdin and answers each with two lines on stdout, one order at a time.

FFmpeg (PyAV) and Pillow run here, not in the server: a crash on a hostile file ends this
process, never the server's waits; a read past its time limit is stopped by ending the
process (a thread could only be abandoned, decoding on); and the memory decoding took goes
back to the system when the process ends: after IDLE seconds without an order, or at once
when its input closes (the server closed it, or is gone), even mid-order."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import BinaryIO

from wan_video_mcp.decoder.inputs import image_look, media_look
from wan_video_mcp.decoder.layout import tile_width
from wan_video_mcp.decoder.messages import TAKEN, Look, Order, look_line, order_from
from wan_video_mcp.decoder.reader import read
from wan_video_mcp.malloc_tuning import tune_malloc

NICENESS = 10  # relative to the server: on a busy machine a tenth of the server's CPU share
# The memory a decoder may write to. One decoding thread on an 8K video with 16 reference frames
# needs under 1 GiB; a hostile or broken file that asks for more fails here (an answer saying
# so), instead of taking the machine's memory from the server and everything else on it.
MEMORY_LIMIT_BYTES = 2 * 1024**3


def run(idle: str) -> None:
    try:
        status = main(float(idle))
    except BaseException:
        traceback.print_exc()
        status = 1
    # Straight out: the reading thread may be blocked on stdin, which a normal interpreter
    # shutdown would wait to lock.
    os._exit(status)


def main(idle: float) -> int:
    _settle()
    replies = os.fdopen(os.dup(1), "wb")
    _log_to_stderr()  # whatever the libraries print goes to the log, never into a reply
    orders = _orders(sys.stdin.buffer)
    while True:
        try:
            line = orders.get(timeout=idle)
        except queue.Empty:
            return 0  # idle: the memory decoding took goes back to the system
        replies.write(TAKEN + b"\n")
        replies.flush()
        replies.write(look_line(_look_safely(line)))
        replies.flush()


def look(order: Order) -> Look:
    if order.kind == "media":
        return media_look(Path(order.path))
    if order.kind == "image":
        return image_look(Path(order.path))
    if order.kind == "result":
        return result_look(order)
    return Look(fault=f"its decoder does not know the order {order.kind!r}")  # a server of another version


def result_look(order: Order) -> Look:
    wanted = order.frames
    reading = read(Path(order.path), wanted, tile_width(wanted, order.sheet_width) if wanted else None)
    sheet = None
    if wanted and len(reading.frames) >= min(2, wanted):
        from wan_video_mcp.decoder.sheet import contact_sheet  # noqa: PLC0415  (Pillow when needed)

        sheet = contact_sheet(reading.frames, order.sheet_width, order.max_bytes)
    return Look(
        reading.seconds, reading.width, reading.height, reading.fps, reading.has_audio, reading.problem, sheet
    )


def _settle() -> None:
    """The server decides when a decoder ends: a Ctrl+C at the server's terminal reaches its
    whole process group, and a hostile file's crash must not leave a core dump behind.
    Decoding yields the CPU to the server: a contact sheet is worth a short wait, while the
    server's event loop carries every other call's polls, progress and results."""
    tune_malloc()  # as the server does: decoded frames' memory goes back when freed
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(AttributeError, OSError):  # os.nice: POSIX only
        os.nice(NICENESS)
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource  # noqa: PLC0415  (POSIX only)

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        infinity = resource.RLIM_INFINITY
        resource.setrlimit(resource.RLIMIT_DATA, (_capped(soft, infinity), _capped(hard, infinity)))


def _capped(limit: int, infinity: int) -> int:
    """`limit` lowered to MEMORY_LIMIT_BYTES, never raised (a host may set a lower one)."""
    return MEMORY_LIMIT_BYTES if limit == infinity else min(limit, MEMORY_LIMIT_BYTES)


def _log_to_stderr() -> None:
    try:
        os.dup2(2, 1)
    except OSError:  # no stderr at all (a windowless host): drop the libraries' output
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)


def _look_safely(line: bytes) -> Look:
    # The readers turn what FFmpeg and Pillow raise into a problem with the file; what is not
    # the file's doing (an order this decoder cannot read, a missing library, no memory) is a
    # fault of the decoder's; never a reason to leave the server without an answer.
    try:
        order = order_from(line)
    except (ValueError, TypeError) as exc:
        return Look(fault=f"its decoder could not read the order ({type(exc).__name__})")
    try:
        return look(order)
    except (ImportError, MemoryError) as exc:
        return Look(fault=f"its decoder failed ({type(exc).__name__}: {str(exc)[:200]})")
    except Exception as exc:
        return Look(problem=f"{type(exc).__name__}: {str(exc)[:200]}")


def _orders(stream: BinaryIO) -> queue.SimpleQueue[bytes]:
    """Lines from `stream` as they come, read on a thread so that waiting for one can time
    out on every platform (select() takes no pipes on Windows). At its end the process ends
    at once, whatever it is doing: nobody is left to read the answer."""
    lines: queue.SimpleQueue[bytes] = queue.SimpleQueue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        os._exit(0)

    threading.Thread(target=pump, daemon=True).start()
    return lines
