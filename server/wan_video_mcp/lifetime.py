"""The runtime, built on first use: the server answers `initialize` and `tools/list` before
importing or opening the journal, the HTTP clients and the rest (runtime.py). It is built when
a request first needs it, or soon after start when none has, and held open until shutdown.

A runtime that cannot be built (an unusable data folder, a broken price file) ends the server
with its one-sentence reason, as it did when everything was opened at start; a server stopped
before anything needed the runtime builds it once on the way out, so that holds there too."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from wan_video_mcp.deferred import build_deferred_models
from wan_video_mcp.providers.registry import ProviderRegistry
from wan_video_mcp.settings import Settings

if TYPE_CHECKING:
    from wan_video_mcp.calls import Runtime

# Unasked, the runtime is built this long after start: after a client's first requests.
WARM_UP_SECONDS = 1.0


class LazyRuntime:
    def __init__(self, settings: Settings, registry: ProviderRegistry) -> None:
        self._settings = settings
        self._registry = registry
        self._wanted = anyio.Event()
        self._ready = anyio.Event()
        self._closing = anyio.Event()
        self._runtime: Runtime | None = None

    async def get(self) -> Runtime:
        self._wanted.set()
        await self._ready.wait()
        assert self._runtime is not None
        return self._runtime

    async def keep(self) -> None:
        """Builds the runtime and holds it open; runs for the server's life in the lifespan's
        task group (the runtime's own task group is entered and left by this one task)."""
        with anyio.move_on_after(WARM_UP_SECONDS) as idle:
            await self._wanted.wait()
        from wan_video_mcp.runtime import open_runtime  # noqa: PLC0415  (off the start-up path)

        async with open_runtime(self._settings, self._registry) as runtime:
            self._runtime = runtime
            self._ready.set()
            if idle.cancelled_caught:
                # Nobody has asked yet: build what the first call would, on this thread as that
                # call would (~50 ms, once; never two builds of one model at the same time).
                build_deferred_models()
            await self._closing.wait()

    def close(self) -> None:
        """Let `keep` close the runtime -- after building it, if it never was."""
        self._wanted.set()
        self._closing.set()
