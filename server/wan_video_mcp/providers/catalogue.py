"""Which provider offers which model, under what name, and where each is reached: all that
`tools/list` and the inline player need, without importing the adapters (the runtime does)."""

from __future__ import annotations

from wan_video_mcp.params.common import ModelName
from wan_video_mcp.settings import DashScopeRegion, ProviderName, Settings

DASHSCOPE_REGION_URLS: dict[DashScopeRegion, str] = {
    "intl": "https://dashscope-intl.aliyuncs.com",
    "cn": "https://dashscope.aliyuncs.com",
    "us": "https://dashscope-us.aliyuncs.com",
}
AIMLAPI_R2V = "alibaba/wan-2-7-r2v"
VACE: ModelName = "wan2.1-vace-plus"


def base_url(provider: ProviderName, settings: Settings) -> str:
    if provider == "dashscope":
        return settings.dashscope_base_url or DASHSCOPE_REGION_URLS[settings.dashscope_region]
    urls: dict[ProviderName, str] = {
        "apiyi": settings.apiyi_base_url,
        "modellix": settings.modellix_base_url,
        "aimlapi": settings.aimlapi_base_url,
    }
    return urls[provider]


def model_id(provider: ProviderName, model: ModelName, settings: Settings) -> str | None:
    """The provider's name for `model`, or None when it does not offer it."""
    if provider == "dashscope" and model == VACE and settings.dashscope_region == "cn":
        return "wanx2.1-vace-plus"  # the Beijing region keeps the older name
    if provider == "apiyi" and model == VACE and not settings.apiyi_enable_vace:
        # APIYI documents only the wan2.7 models; VACE through its DashScope-compatible
        # path is undocumented, so it is opt-in (APIYI_ENABLE_VACE).
        return None
    if provider == "aimlapi":
        return AIMLAPI_R2V if model == "wan2.7-r2v" else None
    return model  # DashScope, APIYI and Modellix call every model by its own name
