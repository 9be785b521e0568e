"""`wan-video-mcp check`: is each provider's key set, and does the provider accept it?

Each check is the cheapest request that tells a good key from a bad one and costs
nothing: a key-validation endpoint where one exists, otherwise a status query for
a task that does not exist.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

from wan_video_mcp.providers.base import ProviderAdapter
from wan_video_mcp.providers.modellix import ModellixAdapter, ModellixEnvelope
from wan_video_mcp.providers.registry import ProviderRegistry
from wan_video_mcp.providers.transport import (
    ProviderTransport,
    RequestNotSent,
    RequestOutcomeUnknown,
    build_http_client,
)
from wan_video_mcp.settings import Settings

Verdict = Literal["accepted", "rejected", "not_set", "unverified"]


@dataclass(frozen=True)
class KeyCheck:
    provider: str
    label: str
    verdict: Verdict
    detail: str


async def check_keys(settings: Settings) -> list[KeyCheck]:
    registry = ProviderRegistry(settings)
    async with build_http_client(min(settings.http_timeout_seconds, 20.0)) as http:
        transport = ProviderTransport(http, settings.redactor(), settings.http_total_seconds)
        return [await _check_one(adapter, transport) for adapter in registry]


async def _check_one(adapter: ProviderAdapter, transport: ProviderTransport) -> KeyCheck:
    if not adapter.configured:
        return KeyCheck(
            adapter.name, adapter.label, "not_set", f"no key: set {adapter.key_env} to use {adapter.label}"
        )
    try:
        response = await transport.send(adapter.key_check_request())
    except (RequestNotSent, RequestOutcomeUnknown) as exc:
        return KeyCheck(adapter.name, adapter.label, "unverified", f"could not reach {adapter.label}: {exc}")
    verdict = adapter.key_verdict(response)
    if verdict is None:
        detail = f"unexpected answer HTTP {response.status}: {response.text(120)}"
        return KeyCheck(adapter.name, adapter.label, "unverified", detail)
    detail = verdict.detail
    if verdict.accepted and isinstance(adapter, ModellixAdapter):
        detail += await _modellix_balance(adapter, transport)
    return KeyCheck(adapter.name, adapter.label, "accepted" if verdict.accepted else "rejected", detail)


async def _modellix_balance(adapter: ModellixAdapter, transport: ProviderTransport) -> str:
    try:
        response = await transport.send(adapter.balance_request())
    except (RequestNotSent, RequestOutcomeUnknown):
        return ""
    data = adapter.parse_or_empty(ModellixEnvelope, response).data
    return f"; balance {data.balance}" if response.ok and data and data.balance is not None else ""


def exit_code(results: list[KeyCheck]) -> int:
    """0 when every configured key was accepted; 1 when any was rejected; 2 when one could not be checked."""
    verdicts = {result.verdict for result in results}
    if "rejected" in verdicts:
        return 1
    return 2 if "unverified" in verdicts else 0


def render_report(results: list[KeyCheck], as_json: bool) -> str:
    if as_json:
        return json.dumps([asdict(result) for result in results], indent=2)
    marks = {"accepted": "OK", "rejected": "REJECTED", "not_set": "NOT SET", "unverified": "UNVERIFIED"}
    lines = [f"  {r.provider:<10} {marks[r.verdict]:<11} {r.detail}" for r in results]
    configured = [r for r in results if r.verdict != "not_set"]
    if not configured:
        lines.append(
            "No provider key is set: the server starts, but every generating call will explain which "
            "variable to set. Try `wan-video-mcp demo` to see it work against the built-in emulator."
        )
    return "\n".join(["Provider keys:", *lines])
