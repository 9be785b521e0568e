"""KeyedLocks: one holder per key at a time, keys independent, nothing kept when idle."""

from __future__ import annotations

import anyio
import pytest

from wan_video_mcp.locks import KeyedLocks

pytestmark = pytest.mark.anyio


async def test_one_holder_per_key_and_keys_are_independent() -> None:
    locks = KeyedLocks()
    holders: dict[str, int] = {"a": 0, "b": 0}
    most_per_key = 0
    most_overall = 0

    async def work(key: str) -> None:
        nonlocal most_per_key, most_overall
        async with locks.hold(key):
            holders[key] += 1
            most_per_key = max(most_per_key, holders[key])
            most_overall = max(most_overall, sum(holders.values()))
            await anyio.sleep(0.02)
            holders[key] -= 1

    async with anyio.create_task_group() as tg:
        for key in "aabbab":
            tg.start_soon(work, key)

    assert most_per_key == 1, "two holders of one key at once"
    assert most_overall == 2, "different keys should not wait for each other"
    assert locks._locks == {}  # pyright: ignore[reportPrivateUsage]  # idle keys are forgotten


async def test_a_failing_holder_releases_the_key() -> None:
    locks = KeyedLocks()

    with pytest.raises(RuntimeError):
        async with locks.hold("k"):
            raise RuntimeError("boom")

    with anyio.fail_after(1):
        async with locks.hold("k"):
            pass
    assert locks._locks == {}  # pyright: ignore[reportPrivateUsage]
