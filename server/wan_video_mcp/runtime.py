"""The runtime: what lives as long as the server (HTTP clients, journal, saver, service,
previewer, background tasks). Imported and opened on first use (lifetime.py), so a client
gets `initialize` and `tools/list` answered without waiting for any of it."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio

from wan_video_mcp.calls import Runtime
from wan_video_mcp.costs.spending import Spending
from wan_video_mcp.decoder import Decoders
from wan_video_mcp.downloads import VideoSaver
from wan_video_mcp.journal import open_journal
from wan_video_mcp.linkguard import LinkGuard
from wan_video_mcp.preview import PREVIEWS_AT_ONCE, Previewer
from wan_video_mcp.providers.registry import ProviderRegistry
from wan_video_mcp.providers.transport import ProviderTransport, build_http_client
from wan_video_mcp.retention import keep_journal_tidy
from wan_video_mcp.service import VideoService
from wan_video_mcp.settings import Settings
from wan_video_mcp.staging import Stager


@asynccontextmanager
async def open_runtime(
    settings: Settings, registry: ProviderRegistry | None = None
) -> AsyncGenerator[Runtime]:
    registry = registry or ProviderRegistry(settings)
    redactor = settings.redactor()
    journal = await open_journal(settings, redactor)
    saver = VideoSaver(
        settings.output_dir,
        settings.max_download_bytes,
        guard=LinkGuard(registry.base_urls()),
        max_seconds=settings.download_timeout_seconds,
    )
    await saver.sweep_partials()  # left by a process that died mid-download
    try:
        async with (
            AsyncExitStack() as stack,
            build_http_client(settings.http_timeout_seconds) as http,
            anyio.create_task_group() as tg,
        ):
            transport = ProviderTransport(http, redactor, settings.http_total_seconds)
            # At most two decoder processes, shared by local inputs' checks and results' looks.
            decoders = Decoders(PREVIEWS_AT_ONCE)
            stack.push_async_callback(decoders.aclose)
            stager = Stager(settings, journal, transport, registry, decoders)
            spending = Spending.create(settings, journal)
            stack.push_async_callback(stager.aclose)
            service = VideoService(
                settings=settings,
                registry=registry,
                transport=transport,
                journal=journal,
                saver=saver,
                background=tg,
                stager=stager,
                spending=spending,
            )
            tg.start_soon(keep_journal_tidy, journal, settings.journal_retention_days)
            previewer = Previewer(
                settings.sheet_frames, settings.sheet_width, settings.sheet_max_kb * 1024, decoders
            )
            yield Runtime(settings, service, previewer)
            tg.cancel_scope.cancel()  # unfinished downloads restart on the next get_task
    finally:
        await saver.aclose()
        await journal.close()
