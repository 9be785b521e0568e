"""The player's `ui://` resource: its HTML (player.html, shipped in the package) and the
Content-Security-Policy origins its videos may be played from."""

from __future__ import annotations

from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from mcp.server.apps import Apps, ResourceCsp

from wan_video_mcp.settings import Settings

PLAYER_URI = "ui://wan-video-mcp/player.html"
# Where the providers' result videos are served from (checked against published example
# responses, 2026-11): DashScope's OSS buckets in every region (APIYI hands those links on,
# AI/ML API sometimes does), Modellix's file host, AI/ML API's CDN. A link from anywhere
# else fails under the host's CSP, and the player falls back to the saved copy.
PROVIDER_MEDIA_ORIGINS = ("https://*.aliyuncs.com", "https://file.modellix.ai", "https://cdn.aimlapi.com")


def tool_meta() -> dict[str, Any]:
    """What a tool carries to name the player as its view (and the flat key that hosts built
    on the spec's drafts read; the stable spec keeps it as deprecated)."""
    return {"ui": {"resourceUri": PLAYER_URI}, "ui/resourceUri": PLAYER_URI}


def player_extension(settings: Settings, provider_urls: list[str]) -> Apps:
    apps = Apps()
    apps.add_html_resource(
        PLAYER_URI,
        player_html(),
        name="video-player",
        title="Wan video player",
        description="Plays a finished video, shows its contact sheet, or a running job's progress.",
        csp=ResourceCsp(resource_domains=media_origins(settings, provider_urls)),
        prefers_border=True,
    )
    return apps


def player_html() -> str:
    return files("wan_video_mcp.player").joinpath("player.html").read_text(encoding="utf-8")


def media_origins(settings: Settings, provider_urls: list[str]) -> list[str]:
    """The CDNs above, the configured provider hosts (a gateway or a local stand-in serves its
    videos itself), and any origins the deployment adds."""
    extra = (settings.player_media_origins or "").split(",")
    origins = [*PROVIDER_MEDIA_ORIGINS, *map(_origin, provider_urls), *extra]
    return list(dict.fromkeys(origin for origin in origins if origin))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"
