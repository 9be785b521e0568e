"""Authenticated HTTP: static bearer tokens, OAuth access tokens (JWTs checked against a
JWKS served over loopback), Host/Origin checks on every bind, who sees which tasks, and
the per-caller limit on new paid jobs -- through the real server and a real MCP client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from mcp import Client
from mcp.shared.exceptions import MCPError
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from asgi import serving, serving_asgi, with_token
from conftest import R2V_ARGS, emulator_env, emulator_settings, text_of
from servers import free_port, wait_for_port
from wan_video_mcp.emulator import Fault, RunningEmulator
from wan_video_mcp.settings import Settings

pytestmark = pytest.mark.anyio

ALICE = "alice=" + "a" * 12 + "-alice-token"
BOB = "bob=" + "b" * 12 + "-bob-token"
RESOURCE = "https://mcp.example.test/mcp"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def secret(entry: str) -> str:
    return entry.partition("=")[2]


def submits(emulator: RunningEmulator) -> int:
    return emulator.state.count(call="submit")


async def test_a_wildcard_bind_without_auth_does_not_start(tmp_path: Path, emulator: RunningEmulator) -> None:
    env = {**os.environ, **emulator_env(emulator, tmp_path)}
    env.pop("WAN_MCP_AUTH_TOKENS", None)
    command = [sys.executable, "-m", "wan_video_mcp", "serve", "--transport", "http", "--host", "0.0.0.0"]
    done = await anyio.run_process([*command, "--port", str(free_port())], check=False, env=env)

    assert done.returncode == 2
    message = done.stderr.decode()
    assert "WAN_MCP_AUTH_TOKENS" in message and "without authentication" in message
    assert "WAN_MCP_INSECURE_NO_AUTH" in message


async def test_a_token_is_required_and_nothing_runs_without_it(
    settings: Settings, emulator: RunningEmulator
) -> None:
    async with serving(settings, auth_tokens=SecretStr(ALICE)) as url:
        async with httpx2.AsyncClient() as raw:
            bare = await raw.post(url, json=INITIALIZE, headers=MCP_HEADERS)
            wrong = await raw.post(
                url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": "Bearer nope"}
            )
        with pytest.raises(Exception):  # noqa: B017,PT011  (the SDK's client surfaces the 401 its own way)
            async with Client(with_token(url, "x" * 20)) as client:
                await client.call_tool("generate_reference_video", R2V_ARGS)
        assert submits(emulator) == 0
        async with Client(with_token(url, secret(ALICE))) as client:
            result = await client.call_tool("generate_reference_video", R2V_ARGS)

    assert bare.status_code == 401 and wrong.status_code == 401
    assert bare.headers["www-authenticate"].startswith("Bearer")
    assert not result.is_error, text_of(result)
    assert submits(emulator) == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
async def test_wrong_host_or_origin_is_refused_on_every_bind(
    settings: Settings, emulator: RunningEmulator, host: str
) -> None:
    async with serving(settings, host=host, auth_tokens=SecretStr(ALICE)) as url:
        auth = {**MCP_HEADERS, "Authorization": f"Bearer {secret(ALICE)}"}
        async with httpx2.AsyncClient() as raw:
            evil_host = await raw.post(url, json=INITIALIZE, headers={**auth, "Host": "evil.example"})
            evil_origin = await raw.post(
                url, json=INITIALIZE, headers={**auth, "Origin": "https://evil.example"}
            )
            own_origin = await raw.post(
                url, json=INITIALIZE, headers={**auth, "Origin": url.rsplit("/", 1)[0]}
            )
            unauthenticated_evil = await raw.post(
                url, json=INITIALIZE, headers={**MCP_HEADERS, "Host": "evil.example"}
            )

    assert evil_host.status_code == 421
    assert evil_origin.status_code == 403
    assert unauthenticated_evil.status_code == 421  # checked before anything else
    assert own_origin.status_code == 200


async def test_listed_hosts_and_origins_are_let_in(settings: Settings, emulator: RunningEmulator) -> None:
    listed = {"allowed_hosts": "mcp.example.test", "allowed_origins": "https://app.example.test"}
    async with serving(settings, host="0.0.0.0", auth_tokens=SecretStr(ALICE), **listed) as url:
        auth = {**MCP_HEADERS, "Authorization": f"Bearer {secret(ALICE)}"}
        async with httpx2.AsyncClient() as raw:
            proxied = await raw.post(
                url,
                json=INITIALIZE,
                headers={**auth, "Host": "mcp.example.test", "Origin": "https://app.example.test"},
            )

    assert proxied.status_code == 200


async def test_a_served_wildcard_bind_checks_hosts_too(tmp_path: Path, emulator: RunningEmulator) -> None:
    port = free_port()
    env = {**os.environ, **emulator_env(emulator, tmp_path), "WAN_MCP_AUTH_TOKENS": ALICE}
    command = [sys.executable, "-m", "wan_video_mcp", "serve", "--transport", "http", "--host", "0.0.0.0"]
    process = subprocess.Popen([*command, "--port", str(port)], env=env, stderr=subprocess.DEVNULL)  # noqa: ASYNC220
    try:
        wait_for_port(port, process)
        url = f"http://127.0.0.1:{port}/mcp"
        auth = {**MCP_HEADERS, "Authorization": f"Bearer {secret(ALICE)}"}
        async with httpx2.AsyncClient() as raw:
            refused = await raw.post(url, json=INITIALIZE, headers={**auth, "Host": "evil.example"})
            anonymous = await raw.post(url, json=INITIALIZE, headers=MCP_HEADERS)
            accepted = await raw.post(url, json=INITIALIZE, headers=auth)
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert (refused.status_code, anonymous.status_code, accepted.status_code) == (421, 401, 200)


async def test_callers_see_only_their_own_tasks(settings: Settings, emulator: RunningEmulator) -> None:
    async with serving(settings, auth_tokens=SecretStr(f"{ALICE},{BOB}")) as url:
        async with Client(with_token(url, secret(ALICE))) as alice:
            mine = await alice.call_tool("generate_reference_video", R2V_ARGS)
        task_id = (mine.structured_content or {})["task_id"]
        async with Client(with_token(url, secret(BOB))) as bob:
            listed = await bob.call_tool("list_tasks", {})
            peek = await bob.call_tool("get_task", {"task_id": task_id})
            cancel = await bob.call_tool("cancel_task", {"task_id": task_id})
            recent = await bob.read_resource("wan://tasks/recent")
            own = await bob.call_tool("generate_reference_video", R2V_ARGS)
        async with Client(with_token(url, secret(ALICE))) as alice:
            alice_list = await alice.call_tool("list_tasks", {})

    assert (listed.structured_content or {})["tasks"] == []
    assert peek.is_error and "not one of yours" in text_of(peek)
    assert cancel.is_error
    assert task_id not in str(recent)
    # Bob's identical request is his own job: he is never handed Alice's.
    assert not own.is_error and (own.structured_content or {})["task_id"] != task_id
    assert submits(emulator) == 2
    assert [task["task_id"] for task in (alice_list.structured_content or {})["tasks"]] == [task_id]


async def test_shared_tasks_are_visible_to_every_caller(tmp_path: Path, emulator: RunningEmulator) -> None:
    settings = emulator_settings(emulator, tmp_path, share_tasks=True)
    async with serving(settings, auth_tokens=SecretStr(f"{ALICE},{BOB}")) as url:
        async with Client(with_token(url, secret(ALICE))) as alice:
            mine = await alice.call_tool("generate_reference_video", R2V_ARGS)
        async with Client(with_token(url, secret(BOB))) as bob:
            seen = await bob.call_tool("get_task", {"task_id": (mine.structured_content or {})["task_id"]})
            again = await bob.call_tool("generate_reference_video", R2V_ARGS)

    assert not seen.is_error and (seen.structured_content or {})["status"] == "succeeded"
    assert (again.structured_content or {})["task_id"] == (mine.structured_content or {})["task_id"]
    assert submits(emulator) == 1


async def test_new_paid_jobs_are_limited_per_caller(tmp_path: Path, emulator: RunningEmulator) -> None:
    settings = emulator_settings(emulator, tmp_path, submits_per_minute=1)
    async with serving(settings, auth_tokens=SecretStr(f"{ALICE},{BOB}")) as url:
        async with Client(with_token(url, secret(ALICE))) as alice:
            first = await alice.call_tool("generate_reference_video", R2V_ARGS)
            same = await alice.call_tool("generate_reference_video", R2V_ARGS)
            second = await alice.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 7})
        async with Client(with_token(url, secret(BOB))) as bob:
            bobs = await bob.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 7})

    assert not first.is_error and not same.is_error  # returning the same task costs nothing
    assert second.is_error and "WAN_MCP_SUBMITS_PER_MINUTE" in text_of(second)
    assert "Nothing was sent" in text_of(second)
    assert not bobs.is_error
    assert submits(emulator) == 2


async def test_a_submit_that_went_nowhere_leaves_the_callers_allowance(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    """Refused before any job existed (here by the provider): no job, no charge, not counted.
    Sent with no answer (maybe a job): counted, as an accepted one is."""
    settings = emulator_settings(emulator, tmp_path, submits_per_minute=2)
    emulator.state.inject("dashscope", "submit", Fault("invalid"))
    calls = [{**R2V_ARGS, "seed": seed, "wait_seconds": 0} for seed in range(4)]
    async with (
        serving(settings, auth_tokens=SecretStr(ALICE)) as url,
        Client(with_token(url, secret(ALICE))) as alice,
    ):
        refused = await alice.call_tool("generate_reference_video", calls[0])
        emulator.state.inject("dashscope", "submit", Fault("drop"))
        unanswered = await alice.call_tool("generate_reference_video", calls[1])
        accepted = await alice.call_tool("generate_reference_video", calls[2])
        limited = await alice.call_tool("generate_reference_video", calls[3])

    assert refused.is_error and "WAN_MCP_SUBMITS_PER_MINUTE" not in text_of(refused)
    assert (unanswered.structured_content or {})["status"] == "submit_unknown"
    assert not accepted.is_error, text_of(accepted)
    assert limited.is_error and "WAN_MCP_SUBMITS_PER_MINUTE" in text_of(limited)
    assert submits(emulator) == 3


# --- OAuth: JWT access tokens --------------------------------------------------------------


@pytest.fixture
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@asynccontextmanager
async def authorization_server(key: rsa.RSAPrivateKey) -> AsyncIterator[str]:
    """A stand-in authorization server: its JWKS, over loopback. Yields its issuer URL."""
    public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)

    async def jwks(_: object) -> JSONResponse:
        return JSONResponse({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]})

    async with serving_asgi(Starlette(routes=[Route("/.well-known/jwks.json", jwks)])) as origin:
        yield origin


def access_token(key: rsa.RSAPrivateKey, issuer: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": issuer, "aud": RESOURCE, "sub": "user-42", "exp": now + 300, "iat": now, **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


async def status_for(url: str, token: str) -> int:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient() as raw:
        return (await raw.post(url, json=INITIALIZE, headers=headers)).status_code


async def test_jwt_access_tokens_are_checked(
    settings: Settings, emulator: RunningEmulator, signing_key: rsa.RSAPrivateKey
) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with authorization_server(signing_key) as issuer:
        oauth = {"oauth_issuer": issuer, "resource_url": RESOURCE}
        async with serving(settings, **oauth) as url:
            good = await status_for(url, access_token(signing_key, issuer))
            expired = await status_for(url, access_token(signing_key, issuer, exp=int(time.time()) - 120))
            audience = await status_for(
                url, access_token(signing_key, issuer, aud="https://other.example/mcp")
            )
            wrong_issuer = await status_for(url, access_token(signing_key, "https://evil.example"))
            forged = await status_for(url, access_token(other_key, issuer))
            async with Client(with_token(url, access_token(signing_key, issuer))) as client:
                result = await client.call_tool("generate_reference_video", R2V_ARGS)
                listed = await client.call_tool("list_tasks", {})

    assert good == 200
    assert (expired, audience, wrong_issuer, forged) == (401, 401, 401, 401)
    assert not result.is_error, text_of(result)
    assert len((listed.structured_content or {})["tasks"]) == 1


async def test_protected_resource_metadata_is_served(
    settings: Settings, emulator: RunningEmulator, signing_key: rsa.RSAPrivateKey
) -> None:
    async with authorization_server(signing_key) as issuer:
        oauth = {"oauth_issuer": issuer, "resource_url": RESOURCE, "oauth_scopes": "video"}
        async with serving(settings, **oauth) as url:
            origin = url.rsplit("/", 1)[0]
            async with httpx2.AsyncClient() as raw:
                metadata = await raw.get(f"{origin}/.well-known/oauth-protected-resource/mcp")
                challenge = await raw.post(url, json=INITIALIZE, headers=MCP_HEADERS)
                unscoped = await raw.post(
                    url,
                    json=INITIALIZE,
                    headers={**MCP_HEADERS, "Authorization": f"Bearer {access_token(signing_key, issuer)}"},
                )
                scoped = await status_for(url, access_token(signing_key, issuer, scope="video other"))

    assert metadata.status_code == 200
    body = metadata.json()
    assert body["resource"] == RESOURCE
    assert [server.rstrip("/") for server in body["authorization_servers"]] == [issuer]
    assert body["scopes_supported"] == ["video"]
    assert challenge.status_code == 401
    assert "/.well-known/oauth-protected-resource/mcp" in challenge.headers["www-authenticate"]
    assert unscoped.status_code == 403 and "insufficient_scope" in unscoped.headers["www-authenticate"]
    assert scoped == 200


def test_tokens_too_short_or_unreadable_stop_the_start(tmp_path: Path) -> None:
    from wan_video_mcp.errors import ConfigurationError
    from wan_video_mcp.http.tokens import read_tokens

    with pytest.raises(ConfigurationError, match="shorter than 16"):
        read_tokens("short", None)
    with pytest.raises(ConfigurationError, match="WAN_MCP_AUTH_TOKENS_FILE"):
        read_tokens(None, tmp_path / "missing")
    listed = tmp_path / "tokens"
    listed.write_text("# team\nalice=" + "z" * 20 + "\n\n" + "y" * 20 + "\n")
    names = [token.name for token in read_tokens(None, listed)]
    assert names[0] == "alice" and names[1].startswith("token-")


async def test_unknown_tools_and_prompts_are_protocol_errors_and_real_prompts_exist(client: Client) -> None:
    with pytest.raises(MCPError) as tool:
        await client.call_tool("no_such_tool", {})
    with pytest.raises(MCPError) as prompt:
        await client.get_prompt("no_such_prompt")
    prompts = await client.list_prompts()
    storyboard = await client.get_prompt("storyboard", {"idea": "a fox crosses a frozen river", "shots": "3"})

    assert tool.value.error.code == -32602 and "no_such_tool" in tool.value.error.message
    assert prompt.value.error.code == -32602
    assert {p.name for p in prompts.prompts} == {"storyboard", "reference_video_request"}
    text = storyboard.messages[0].content
    assert "frozen river" in getattr(text, "text", "") and "3 shots" in getattr(text, "text", "")


def test_tokens_may_contain_equals_signs_as_base64_does() -> None:
    from wan_video_mcp.http.tokens import read_tokens

    base64_token = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8=="
    named, bare = read_tokens(f"carol={base64_token},{base64_token}", None)

    assert named.name == "carol" and bare.name.startswith("token-")
    assert named.digest == bare.digest  # the whole token, '=' padding included


async def test_an_issuer_is_the_same_with_or_without_its_trailing_slash(
    settings: Settings, emulator: RunningEmulator, signing_key: rsa.RSAPrivateKey
) -> None:
    async with authorization_server(signing_key) as issuer:
        async with serving(settings, oauth_issuer=issuer + "/", resource_url=RESOURCE) as url:
            plain = await status_for(url, access_token(signing_key, issuer))
            slashed = await status_for(url, access_token(signing_key, issuer + "/"))
        async with serving(settings, oauth_issuer=issuer, resource_url=RESOURCE) as url:
            async with httpx2.AsyncClient() as raw:
                metadata = await raw.get(url.rsplit("/", 1)[0] + "/.well-known/oauth-protected-resource/mcp")
            slashed_too = await status_for(url, access_token(signing_key, issuer + "/"))

    assert (plain, slashed, slashed_too) == (200, 200, 200)
    assert metadata.json()["authorization_servers"] == [issuer]


async def test_host_names_are_case_insensitive_and_health_is_open(
    settings: Settings, emulator: RunningEmulator
) -> None:
    listed = {"allowed_hosts": "mcp.example.test"}
    async with serving(settings, host="0.0.0.0", auth_tokens=SecretStr(ALICE), **listed) as url:
        auth = {**MCP_HEADERS, "Authorization": f"Bearer {secret(ALICE)}"}
        async with httpx2.AsyncClient() as raw:
            shouted = await raw.post(url, json=INITIALIZE, headers={**auth, "Host": "MCP.Example.TEST"})
            health = await raw.get(url.rsplit("/", 1)[0] + "/healthz", headers={"Host": "10.0.0.7:8000"})

    assert shouted.status_code == 200
    assert (health.status_code, health.text) == (200, "ok")


async def test_a_caller_cannot_read_another_callers_saved_files(
    settings: Settings, emulator: RunningEmulator
) -> None:
    async with serving(settings, auth_tokens=SecretStr(f"{ALICE},{BOB}")) as url:
        async with Client(with_token(url, secret(ALICE), **{"X-Client": "x"})) as alice:
            made = await alice.call_tool("generate_reference_video", R2V_ARGS)
            video = Path((made.structured_content or {})["local_file"]).as_uri()
            sheet = Path((made.structured_content or {})["contact_sheet"]).as_uri()
            own = await alice.read_resource(video)
        async with Client(with_token(url, secret(BOB))) as bob:
            with pytest.raises(MCPError):
                await bob.read_resource(video)
            with pytest.raises(MCPError):
                await bob.read_resource(sheet)

    assert own.contents and getattr(own.contents[0], "blob", None)
