"""One small adapter per provider, a transport that sends their requests, and a registry."""

from wan_video_mcp.providers.base import HttpRequest, HttpResponse, KeyVerdict, ProviderAdapter
from wan_video_mcp.providers.registry import ProviderRegistry
from wan_video_mcp.providers.transport import ProviderTransport, RequestNotSent, RequestOutcomeUnknown

__all__ = [
    "HttpRequest",
    "HttpResponse",
    "KeyVerdict",
    "ProviderAdapter",
    "ProviderRegistry",
    "ProviderTransport",
    "RequestNotSent",
    "RequestOutcomeUnknown",
]
