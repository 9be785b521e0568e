"""Does the duplicate check stay cheap as the journal grows?

Times `claim` of a request that is already in the journal (the duplicate check run
before every submit, in its transaction) on a journal of 100 rows and on one of
20,000, and prints the ratio measured in this one run. With the fingerprint index it
should stay near 1; without it, it would grow with the row count.

    python3 benchmarks/journal_lookup.py
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path

import anyio

from wan_video_mcp.journal import SqliteJournal

LOOKUPS = 300
LEASE = timedelta(minutes=1)


async def fill(path: Path, rows: int) -> SqliteJournal:
    journal = await SqliteJournal.open(path)
    for n in range(rows):
        claim = await journal.claim(
            "edit_video", "dashscope", "wan2.7-videoedit", {"n": n}, reuse_window=None, lease=LEASE
        )
        assert claim.row is not None
        await journal.mark_submitted(claim.row, f"dashscope:{n}")
    return journal


async def lookup_seconds(journal: SqliteJournal, rows: int) -> float:
    window = timedelta(hours=1)
    started = time.perf_counter()
    for n in range(LOOKUPS):
        claim = await journal.claim(
            "edit_video", "dashscope", "wan2.7-videoedit", {"n": n % rows}, reuse_window=window, lease=LEASE
        )
        assert claim.existing is not None, "every lookup finds its row"
    return (time.perf_counter() - started) / LOOKUPS


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small = await fill(Path(tmp) / "small.sqlite3", 100)
        large = await fill(Path(tmp) / "large.sqlite3", 20_000)
        small_time = await lookup_seconds(small, 100)
        large_time = await lookup_seconds(large, 20_000)
        await small.close()
        await large.close()
    print(f"duplicate check: {small_time * 1e3:.2f} ms at 100 rows, {large_time * 1e3:.2f} ms at 20,000 rows")
    print(f"ratio (20,000 rows / 100 rows): {large_time / small_time:.2f}  (about 1 = the index works)")


if __name__ == "__main__":
    anyio.run(main)
