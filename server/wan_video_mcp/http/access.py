"""Who may call over HTTP: static bearer tokens, OAuth access tokens, or -- on loopback, or
off it only when the deployment says so in as many words -- anyone.

The SDK's pieces do the work (its bearer backend, auth context and 401/403 answers with
`WWW-Authenticate`, and RFC 9728 protected-resource metadata); this module decides which
verifiers apply and refuses to start an open door.
"""

from __future__ import annotations

import httpx2
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.routes import build_resource_metadata_url, create_protected_resource_routes
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, ValidationError
from starlette.applications import Starlette
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import BaseRoute, Route

from wan_video_mcp.errors import ConfigurationError
from wan_video_mcp.http.config import HttpSettings
from wan_video_mcp.http.hosts import is_loopback
from wan_video_mcp.http.oauth import JwksVerifier
from wan_video_mcp.http.tokens import StaticTokenVerifier, read_tokens

OPEN_DOOR = (
    "Serving HTTP on {host} without authentication would let anyone who reaches the port start paid "
    "jobs with your keys: set WAN_MCP_AUTH_TOKENS or WAN_MCP_AUTH_TOKENS_FILE (or WAN_MCP_OAUTH_ISSUER), "
    "or serve on 127.0.0.1, "
    "or set WAN_MCP_INSECURE_NO_AUTH=true only behind a proxy that authenticates."
)


class AnyVerifier:
    """The first verifier that accepts the token decides (static tokens are checked first)."""

    def __init__(self, verifiers: list[TokenVerifier]) -> None:
        self._verifiers = verifiers

    async def verify_token(self, token: str) -> AccessToken | None:
        for verifier in self._verifiers:
            if (accepted := await verifier.verify_token(token)) is not None:
                return accepted
        return None


def verifiers(http: HttpSettings, client: httpx2.AsyncClient) -> list[TokenVerifier]:
    found: list[TokenVerifier] = []
    secret = http.auth_tokens.get_secret_value() if http.auth_tokens else None
    if tokens := read_tokens(secret, http.auth_tokens_file):
        found.append(StaticTokenVerifier(tokens))
    if http.oauth_issuer:
        found.append(_jwks_verifier(http, client))
    return found


def _jwks_verifier(http: HttpSettings, client: httpx2.AsyncClient) -> JwksVerifier:
    issuer = http.oauth_issuer or ""
    if not http.resource_url:
        raise ConfigurationError(
            "WAN_MCP_OAUTH_ISSUER is set but WAN_MCP_RESOURCE_URL is not: set it to this server's public MCP "
            "URL (e.g. https://mcp.example.com/mcp), the audience access tokens must be issued for."
        )
    _url("WAN_MCP_RESOURCE_URL", http.resource_url)
    jwks_url = http.oauth_jwks_url or f"{issuer.rstrip('/')}/.well-known/jwks.json"
    return JwksVerifier(issuer=issuer, audience=http.resource_url, jwks_url=jwks_url, client=client)


class _Url(BaseModel):
    # As the SDK's AuthSettings: "https://auth.example.com" keeps its spelling (no "/" added).
    model_config = ConfigDict(url_preserve_empty_path=True)
    url: AnyHttpUrl


def _url(setting: str, value: str) -> AnyHttpUrl:
    try:
        return _Url(url=value).url  # pyright: ignore[reportArgumentType]  (validated from str)
    except ValidationError:
        raise ConfigurationError(f"{setting} {value!r} is not an http(s) URL.") from None


def refuse_open_door(host: str, found: list[TokenVerifier], http: HttpSettings) -> None:
    if not found and not is_loopback(host) and not http.insecure_no_auth:
        raise ConfigurationError(OPEN_DOOR.format(host=host))


def protect(app: Starlette, verifier: TokenVerifier, http: HttpSettings, mcp_path: str) -> None:
    """Every request to `mcp_path` needs an accepted bearer token (401 otherwise, 403 without a
    required scope); the metadata that tells OAuth clients where to get one is public."""
    metadata_url = None
    if http.oauth_issuer and http.resource_url:
        resource = _url("WAN_MCP_RESOURCE_URL", http.resource_url)
        metadata_url = build_resource_metadata_url(resource)
        issuer = _url("WAN_MCP_OAUTH_ISSUER", http.oauth_issuer)
        app.router.routes.extend(
            create_protected_resource_routes(resource, [issuer], http.required_scopes or None)
        )
    app.router.routes[:] = [
        _guarded(route, mcp_path, http.required_scopes, metadata_url) for route in app.router.routes
    ]
    app.add_middleware(AuthContextMiddleware)
    app.add_middleware(AuthenticationMiddleware, backend=BearerAuthBackend(verifier))


def _guarded(
    route: BaseRoute, mcp_path: str, scopes: list[str], metadata_url: AnyHttpUrl | None
) -> BaseRoute:
    if not isinstance(route, Route) or route.path != mcp_path:
        return route
    return Route(mcp_path, endpoint=RequireAuthMiddleware(route.endpoint, scopes, metadata_url))
