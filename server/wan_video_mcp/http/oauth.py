"""OAuth access tokens (JWTs) from an authorization server, as the MCP authorization spec
has a resource server check them: signed by a key in the issuer's JWKS, issued by that
issuer, for this server (the audience is its resource URL), and not expired.

PyJWT does the checking (the SDK depends on it already). The key set is fetched with our
own async HTTP client, not PyJWT's blocking one, and fetched again when a token names a
key we have not seen (the issuer rotated), at most once a minute so a flood of made-up
key ids cannot turn into a flood of requests to the issuer.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
import httpx2
import jwt
from mcp.server.auth.provider import AccessToken

log = logging.getLogger(__name__)

# Asymmetric algorithms only: a shared-secret token would let anyone holding the JWKS sign.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
REFETCH_SECONDS = 60.0
CLOCK_SKEW_SECONDS = 30


class JwksVerifier:
    """The SDK's `TokenVerifier` for JWT access tokens."""

    def __init__(self, *, issuer: str, audience: str, jwks_url: str, client: httpx2.AsyncClient) -> None:
        # "https://auth.example.com" and ".../" name one issuer; tokens spell it either way.
        self._issuers = [issuer.rstrip("/"), issuer.rstrip("/") + "/"]
        self._audience = audience
        self._jwks_url = jwks_url
        self._client = client
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -REFETCH_SECONDS
        self._lock = anyio.Lock()

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            key = await self._key_for(jwt.get_unverified_header(token))
            claims = self._decode(token, key) if key is not None else None
        except jwt.PyJWTError as exc:
            log.info("refused an access token: %s", exc)
            return None
        return _access_token(claims) if claims is not None else None

    def _decode(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        return jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=self._audience,
            issuer=self._issuers,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iss", "aud"]},
        )

    async def _key_for(self, header: dict[str, Any]) -> jwt.PyJWK | None:
        kid = str(header.get("kid", ""))
        if kid not in self._keys:
            await self._refresh()
        if kid in self._keys:
            return self._keys[kid]
        # A key set with one key and tokens without a kid: that key.
        return next(iter(self._keys.values())) if not kid and len(self._keys) == 1 else None

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < REFETCH_SECONDS:
                return
            self._fetched_at = time.monotonic()
            try:
                response = await self._client.get(self._jwks_url)
                response.raise_for_status()
                keys = jwt.PyJWKSet.from_dict(response.json()).keys
            except (httpx2.HTTPError, ValueError, jwt.PyJWTError) as exc:
                log.warning("could not fetch the JWKS at %s: %s", self._jwks_url, exc)
                return
            self._keys = {str(key.key_id or ""): key for key in keys}


def _access_token(claims: dict[str, Any]) -> AccessToken:
    # Prefixed, so no static token's name can ever equal an OAuth identity.
    subject = "oauth:" + str(claims.get("sub") or claims.get("client_id") or "")
    client_id = str(claims.get("client_id") or claims.get("azp") or subject)
    scopes = claims.get("scope", claims.get("scp", ""))
    scope_list = scopes.split() if isinstance(scopes, str) else [str(scope) for scope in scopes]
    audience = claims.get("aud")
    return AccessToken(
        token="",  # never kept: the identity is enough
        client_id=client_id,
        scopes=scope_list,
        expires_at=int(claims["exp"]),
        resource=audience if isinstance(audience, str) else None,
        subject=subject,
        claims={"iss": claims.get("iss")},
    )
