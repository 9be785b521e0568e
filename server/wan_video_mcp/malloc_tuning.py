"""glibc's malloc, tuned before any thread starts (Linux/glibc only; a no-op elsewhere).

Worker threads (the journal, file I/O, the contact sheets' decoding) each got an arena of
their own (up to 8 per core), and memory freed in one was not reused by the others: 1,000
jobs finishing together peaked at 739 MB with contact sheets, 364 MB with two arenas. And
glibc raises its mmap threshold to the largest block freed so far, so decoded frames (1-6 MB)
came to live in the heap, where freeing them rarely returns memory: a fixed threshold keeps
them in their own mappings, returned when freed (319 -> 254 MB in the same benchmark).
(Both measured when decoding ran in the server; `serve` and the decoder processes, which
decode now, tune alike.) An environment variable or GLIBC_TUNABLES entry for either
setting still decides."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

# (mallopt's parameter, our value, the variable and the tunable that choose otherwise)
TUNING = (
    (-8, 2, "MALLOC_ARENA_MAX", "arena_max"),  # M_ARENA_MAX
    (-3, 128 * 1024, "MALLOC_MMAP_THRESHOLD_", "mmap_threshold"),  # M_MMAP_THRESHOLD
)


def tune_malloc() -> None:
    if not sys.platform.startswith("linux"):
        return
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        for parameter, value, variable, tunable in TUNING:
            if not os.environ.get(variable) and tunable not in tunables:
                libc.mallopt(parameter, value)  # 1 on success; 0 (ignored) elsewhere
