"""Upload progress for the client, like the wait's: "uploading video_url · 12 of 40 MB".

Uploads are the first few percent of a call's progress (the wait that follows starts
above them), reported at most every REPORT_SECONDS while bytes move."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from wan_video_mcp.waiting import ProgressSink

REPORT_SECONDS = 0.5
# The share of the call's 0-100 progress that uploads take.
UPLOAD_SHARE = 5.0
MB = 1024 * 1024


@dataclass
class Meter:
    """Bytes sent so far of one file; written from any thread, read by the reporter."""

    label: str
    total: int
    sent: int = 0

    def add(self, count: int) -> None:
        self.sent = min(self.total, self.sent + count)

    @property
    def message(self) -> str:
        return f"uploading {self.label} · {_amount(self.sent, self.total)}"


def _amount(sent: int, total: int) -> str:
    if total < MB:
        return f"{sent / 1024:.1f} of {total / 1024:.1f} KB"
    return f"{sent / MB:.1f} of {total / MB:.1f} MB"


def after_uploads(sink: ProgressSink | None) -> ProgressSink | None:
    """The wait's 0-100 progress squeezed above the uploads' share, so it keeps rising."""
    if sink is None:
        return None

    async def send(progress: float, total: float | None, message: str) -> None:
        scaled = UPLOAD_SHARE + progress * (100.0 - UPLOAD_SHARE) / 100.0
        await sink(round(scaled, 2), 100.0, message)

    return send


@asynccontextmanager
async def reporting(meter: Meter, sink: ProgressSink | None) -> AsyncGenerator[Meter]:
    """Report `meter` to `sink` while the body runs, and once more when it is done."""
    if sink is None:
        yield meter
        return
    failure: BaseException | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(_report_every, meter, sink)
        try:
            yield meter
        except BaseException as exc:  # re-raised below as itself, not inside an ExceptionGroup
            failure = exc
        group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    await _report(meter, sink)


async def _report_every(meter: Meter, sink: ProgressSink) -> None:
    while True:
        await _report(meter, sink)
        await anyio.sleep(REPORT_SECONDS)


async def _report(meter: Meter, sink: ProgressSink) -> None:
    share = meter.sent / meter.total if meter.total else 1.0
    await sink(round(UPLOAD_SHARE * share, 2), 100.0, meter.message)
