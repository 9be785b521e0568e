"""A decoder process, `python -m wan_video_mcp.decoder.worker IDLE_SECONDS`: reads orders
from stdin and answers each with a line on stdout, one at a time.

FFmpeg (PyAV) and Pillow run here, not in the server: a crash on a hostile file ends this
process, never the server's waits; a read past its time limit is stopped by ending the
process (a thread could only be abandoned, decoding on); and the memory decoding took goes
back to the system when the process ends, after IDLE_SECONDS without an order or when the
server closes its input (or is gone)."""

from __future__ import annotations

import os
import queue
import sys
import threading
from pathlib import Path
from typing import BinaryIO

from wan_video_mcp.decoder.layout import tile_width
from wan_video_mcp.decoder.messages import TAKEN, Look, Order, look_line, order_from
from wan_video_mcp.decoder.reader import read
from wan_video_mcp.malloc_tuning import tune_malloc


def main(argv: list[str]) -> int:
    tune_malloc()  # as the server does: decoded frames' memory goes back when freed
    idle = float(argv[1])
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the libraries print goes to the log, never into a reply
    orders = _orders(sys.stdin.buffer)
    while True:
        try:
            line = orders.get(timeout=idle)
        except queue.Empty:
            return 0  # idle: the memory decoding took goes back to the system
        if not line:
            return 0
        replies.write(TAKEN + b"\n")
        replies.flush()
        replies.write(look_line(_look_safely(line)))
        replies.flush()


def look(order: Order) -> Look:
    wanted = order.frames
    reading = read(Path(order.path), wanted, tile_width(wanted, order.sheet_width) if wanted else None)
    sheet = None
    if wanted and len(reading.frames) >= min(2, wanted):
        from wan_video_mcp.decoder.sheet import contact_sheet  # noqa: PLC0415  (Pillow when needed)

        sheet = contact_sheet(reading.frames, order.sheet_width, order.max_bytes)
    return Look(
        reading.seconds, reading.width, reading.height, reading.fps, reading.has_audio, reading.problem, sheet
    )


def _look_safely(line: bytes) -> Look:
    # The reader turns what FFmpeg raises into a problem; anything else is still this file's
    # problem, not a reason to leave the server without an answer.
    try:
        return look(order_from(line))
    except Exception as exc:
        return Look(problem=f"{type(exc).__name__}: {str(exc)[:200]}")


def _orders(stream: BinaryIO) -> queue.SimpleQueue[bytes]:
    """Lines from `stream` as they come (b"" at its end), read on a thread so that waiting for
    one can time out on every platform (select() takes no pipes on Windows)."""
    lines: queue.SimpleQueue[bytes] = queue.SimpleQueue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(b"")

    threading.Thread(target=pump, daemon=True).start()
    return lines


if __name__ == "__main__":
    # Straight out: the reading thread may be blocked on stdin, which a normal interpreter
    # shutdown would wait to lock.
    os._exit(main(sys.argv))
