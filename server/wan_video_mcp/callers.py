"""Who is calling, and what that says about how long a call may take and what it can read.

MCP has no way for a client to say how long it will wait for a tool call. Measured
(README, "Use it from an agent framework"): openai-agents and Google ADK give up after
5 s by default; Claude Desktop and TypeScript-SDK clients after 60 s; pydantic-ai after
300 s; langchain-mcp-adapters never. Two signals tell them apart well enough:

- a client that sent a progress token listens while it waits, so a long wait with
  progress serves it best (pydantic-ai 2.x, the demo, clients with a progress bar);
- a client that kept the Python SDK's default identity ("mcp" 0.1.0) is nearly always a
  framework's wrapper (openai-agents, langchain, pydantic-ai 1.x), and Google ADK names
  itself: these get a quick answer -- the handle and the exact get_task call -- before
  their 5 s are up. Every other named client (Claude, Cursor, an application that
  names itself) keeps the long wait.

The same anonymous wrappers hand `resource_link`s on to their model in ways that break
it (pydantic-ai 1.x reads each one and passes a video blob on; langchain turns them into
file blocks OpenAI refuses), so they get everything as text instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Waits within a call: long for clients that wait, short enough for a 5 s client.
PATIENT_WAIT_SECONDS = 50.0
QUICK_WAIT_SECONDS = 3.0
# The identity the MCP Python SDK sends unless told otherwise.
SDK_DEFAULT_NAMES = frozenset({"mcp"})
# Clients known to give up after 5 s whatever else they send.
QUICK_CLIENTS = frozenset({"google-adk"})


@dataclass(frozen=True)
class Caller:
    name: str | None
    listens_for_progress: bool
    # A host that renders MCP Apps: its player reads the saved video through the link.
    renders_apps: bool = False
    # Who is calling, as authentication established it (None over stdio or without auth).
    principal: str | None = None

    @property
    def anonymous(self) -> bool:
        return not self.name or self.name in SDK_DEFAULT_NAMES

    @property
    def quick(self) -> bool:
        """Probably gives up within seconds."""
        return self.name in QUICK_CLIENTS or (self.anonymous and not self.listens_for_progress)

    @property
    def wants_links(self) -> bool:
        return not self.anonymous or self.renders_apps

    def wait_seconds(self, asked: float | None, configured: float | None) -> float:
        """The wait budget: the call's own, else the deployment's, else this client's."""
        if asked is not None:
            return asked
        if configured is not None:
            return configured
        return QUICK_WAIT_SECONDS if self.quick else PATIENT_WAIT_SECONDS


def caller_from(
    client_name: str | None, meta: Mapping[str, Any] | None, renders_apps: bool = False, request: Any = None
) -> Caller:
    token = (meta or {}).get("progress_token")
    return Caller(
        name=client_name,
        listens_for_progress=token is not None,
        renders_apps=renders_apps,
        principal=principal_of(request),
    )


def principal_of(request: Any) -> str | None:
    """The authenticated identity of an HTTP request (a token's name, an OAuth subject), if any."""
    scope: Mapping[str, Any] = getattr(request, "scope", None) or {}
    token = getattr(scope.get("user"), "access_token", None)
    if token is None:
        return None
    return str(getattr(token, "subject", None) or getattr(token, "client_id", "")) or None
