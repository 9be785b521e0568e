"""The inline player (MCP Apps): what the tools and the ui:// resource declare, through the real
MCP client; and the player itself in a real headless Chromium, inside a minimal host page that
speaks the Apps postMessage protocol and proxies the player's requests to the real server.

One screenshot per state is kept in WAN_MCP_TEST_ARTIFACTS (default build/test-artifacts)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from conftest import NAMED, R2V_ARGS, emulator_settings
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import RunningEmulator, TaskScript
from wan_video_mcp.player import PLAYER_URI

pytestmark = pytest.mark.anyio

HOST_PAGE = Path(__file__).with_name("apps_host.html")
ARTIFACTS = Path(
    os.environ.get("WAN_MCP_TEST_ARTIFACTS", Path(__file__).parents[1] / "build" / "test-artifacts")
)
APPS = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})
# Every tool whose result is a task (list_tasks answers with a list, shown as text).
TOOLS = {"generate_reference_video", "edit_video", "vace_edit", "get_task", "cancel_task"}


def apps_client(server: Any, **options: Any) -> Client:
    """A client that renders MCP Apps, as Claude Desktop or VS Code do."""
    return Client(server, extensions=[APPS], **options)


async def test_every_tool_names_the_player_and_the_player_is_an_app_resource(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with apps_client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        tools = (await client.list_tools()).tools
        read = await client.read_resource(PLAYER_URI)
        listed = (await client.list_resources()).resources
        capabilities = client.session.server_capabilities

    with_player = [tool for tool in tools if tool.name in TOOLS]
    assert all((tool.meta or {}).get("ui/resourceUri") == PLAYER_URI for tool in with_player), (
        "draft-era hosts"
    )
    assert {tool.name: (tool.meta or {}).get("ui") for tool in tools} == {
        **{name: {"resourceUri": PLAYER_URI} for name in TOOLS},
        "list_tasks": None,
    }
    assert capabilities is not None and EXTENSION_ID in (capabilities.extensions or {})
    [content] = read.contents
    assert content.mime_type == APP_MIME_TYPE and str(content.uri) == PLAYER_URI
    html: str = content.text  # type: ignore[union-attr]
    assert html.startswith("<!doctype html>") and "ui/initialize" in html
    assert not re.search(r"<script[^>]+src=|<link\b|@import|url\(", html), "self-contained: nothing fetched"
    media = (content.meta or {})["ui"]["csp"]["resourceDomains"]
    assert "https://*.aliyuncs.com" in media and "https://cdn.aimlapi.com" in media
    assert emulator.base_url("dashscope").rsplit("/", 1)[0] in media, "the configured provider's own host"
    assert PLAYER_URI in {str(resource.uri) for resource in listed}


async def test_without_apps_results_are_unchanged_and_the_player_can_be_turned_off(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = emulator_settings(emulator, tmp_path)
    async with Client(build_server(settings)) as plain, apps_client(build_server(settings)) as renders:
        without = await plain.call_tool("generate_reference_video", R2V_ARGS)
        again = await renders.call_tool(
            "get_task", {"task_id": (without.structured_content or {})["task_id"]}
        )
    off = emulator_settings(emulator, tmp_path / "off", player=False)
    async with Client(build_server(off)) as client:
        tools = (await client.list_tools()).tools
        resources = (await client.list_resources()).resources

    assert [block.type for block in without.content] == ["text", "image"], (
        "anonymous client: no links, as before"
    )
    links = [block.mime_type for block in again.content if block.type == "resource_link"]
    assert "video/mp4" in links, "a host that renders the player gets the saved video's link to play"
    assert all(tool.meta is None or "ui" not in tool.meta for tool in tools)
    assert PLAYER_URI not in {str(resource.uri) for resource in resources}


async def test_a_media_origin_that_is_not_an_origin_is_refused_at_start(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    with pytest.raises(
        ValueError, match=re.escape("WAN_MCP_PLAYER_MEDIA_ORIGINS entry 'cdn.example.com/videos'")
    ):
        emulator_settings(
            emulator, tmp_path, player_media_origins="https://ok.example.com, cdn.example.com/videos"
        )


# --- In a real browser -------------------------------------------------------------------------


def chromium_path() -> str:
    """Debian's chromium (`.ci/run` installs it); elsewhere the test skips, in CI it fails."""
    found = os.environ.get("WAN_MCP_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip(
            "no chromium on this machine (apt-get install chromium); the player's browser tests need it"
        )
    return found


@dataclass
class HostPage:
    """The test host page with the player in its iframe, wired to a real MCP client."""

    page: Any
    client: Client

    async def show(
        self, tool: str, arguments: dict[str, Any], result: Any, capabilities: dict[str, Any]
    ) -> None:
        read = await self.client.read_resource(PLAYER_URI)
        [content] = read.contents
        options = {
            "html": content.text,  # type: ignore[union-attr]
            "csp": (content.meta or {})["ui"]["csp"],
            "toolName": tool,
            "toolInput": arguments,
            "hostCapabilities": capabilities,
        }
        await self.page.evaluate("options => window.startView(options)", options)
        await self.page.wait_for_function(
            "window.hostLog.some(entry => entry.method === 'ui/notifications/initialized')", timeout=10_000
        )
        await self.page.evaluate("result => window.deliverResult(result)", _wire(result))

    @property
    def view(self) -> Any:
        return self.page.frame_locator("#view")

    async def view_eval(self, script: str) -> Any:
        frame = next(frame for frame in self.page.frames if frame != self.page.main_frame)
        return await frame.evaluate(script)

    async def wait_until_playing(self) -> dict[str, Any]:
        playing = "(() => { const v = document.getElementById('video'); return v.readyState >= 2 && !v.paused && v.currentTime > 0.2; })()"
        for _ in range(150):
            if await self.view_eval(playing):
                break
            await self.page.wait_for_timeout(100)
        return await self.view_eval(
            "(() => { const v = document.getElementById('video'); return {ready: v.readyState, paused: v.paused, "
            "time: v.currentTime, width: v.videoWidth, height: v.videoHeight, src: v.currentSrc.slice(0, 60), "
            "error: v.error && v.error.code, visible: !document.getElementById('player').hidden}; })()"
        )

    async def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"player-{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path


def _wire(result: Any) -> dict[str, Any]:
    """A CallToolResult as it travels between host and view (camelCase JSON)."""
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    executable = chromium_path()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            # Chromium's default autoplay policy (muted video may play without a gesture).
            executable_path=executable,
            args=["--no-sandbox"],
        )
        yield launched
        await launched.close()


@pytest.fixture
def slow_jobs(emulator: RunningEmulator) -> RunningEmulator:
    """Jobs that run long enough to be seen running, then finish while the player waits."""
    emulator.state.default_script = TaskScript(queue_seconds=0.2, run_seconds=5.0)
    return emulator


async def open_host(browser: Any, client: Client) -> HostPage:
    page = await browser.new_page(viewport={"width": 780, "height": 1000})
    page.on("pageerror", lambda error: pytest.fail(f"the host page or player threw: {error}"))

    async def forward(method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "tools/call":
            return _wire(await client.call_tool(params["name"], params.get("arguments") or {}))
        return _wire(await client.read_resource(params["uri"]))

    await page.expose_function("mcpForward", forward)
    await page.goto(HOST_PAGE.as_uri())
    return HostPage(page, client)


FULL_HOST = {"serverTools": {}, "serverResources": {}}


async def test_the_player_plays_a_finished_video_from_the_providers_link(
    browser: Any, emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with apps_client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)
        host = await open_host(browser, client)
        await host.show("generate_reference_video", R2V_ARGS, result, FULL_HOST)
        video = await host.wait_until_playing()
        sheet_width = await host.view_eval("document.getElementById('sheet-img').naturalWidth")
        badge = await host.view.locator("#badge").inner_text()
        facts = await host.view.locator("#facts").inner_text()
        shot = await host.screenshot("succeeded")
        log = await host.page.evaluate("window.hostLog.map(entry => entry.method)")

    structured = result.structured_content or {}
    assert video["visible"] and video["ready"] >= 2 and not video["paused"] and video["time"] > 0.2, video
    assert (video["width"], video["height"]) == (1280, 720)
    assert video["src"] == structured["video_url"][:60], "played from the provider's link while it is valid"
    assert sheet_width > 0, "the contact sheet is shown"
    assert badge == "Ready" and R2V_ARGS["prompt"] in facts and structured["local_file"] in facts
    assert f"about {structured['cost']['actual']:.2f} USD (" in facts, "priced from the reported usage"
    assert log[:2] == ["ui/initialize", "ui/notifications/initialized"] and "resources/read" not in log
    assert shot.stat().st_size > 10_000


async def test_the_player_falls_back_to_the_saved_copy_when_the_link_stops_working(
    browser: Any, emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with apps_client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)
        emulator.state.clock.advance(3 * 86400)  # the signed link has expired at the provider
        host = await open_host(browser, client)
        await host.show("generate_reference_video", R2V_ARGS, result, FULL_HOST)
        video = await host.wait_until_playing()
        await host.screenshot("saved-copy")
        log = await host.page.evaluate("window.hostLog.map(entry => entry.method)")

    assert video["visible"] and not video["paused"] and video["time"] > 0.2, video
    assert video["src"].startswith("data:video/mp4;base64,"), "the saved file, read through the host"
    assert "resources/read" in log


async def test_a_running_job_shows_progress_and_keep_waiting_brings_the_video(
    browser: Any, slow_jobs: RunningEmulator, tmp_path: Path
) -> None:
    async with apps_client(build_server(emulator_settings(slow_jobs, tmp_path)), client_info=NAMED) as client:
        host = await open_host(browser, client)
        # The model chose not to wait; the person watching asks to.
        result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})
        await host.show("generate_reference_video", R2V_ARGS, result, FULL_HOST)
        await host.view.locator("#keep-waiting").wait_for(state="visible", timeout=5000)
        running = {
            "badge": await host.view.locator("#badge").inner_text(),
            "text": await host.view.locator("#progress-text").inner_text(),
            "player_hidden": await host.view_eval("document.getElementById('player').hidden"),
        }
        await host.screenshot("running")
        await host.view.locator("#keep-waiting").click()
        await host.view.locator("#badge").filter(has_text="Ready").wait_for(timeout=30_000)
        video = await host.wait_until_playing()
        await host.screenshot("after-keep-waiting")
        calls = await host.page.evaluate(
            "window.hostLog.filter(e => e.method === 'tools/call').map(e => e.params)"
        )

    task_id = (result.structured_content or {})["task_id"]
    assert (result.structured_content or {})["status"] in ("queued", "running")
    assert running["badge"] in ("Queued", "Generating") and running["player_hidden"]
    assert task_id in running["text"] and "ready" in running["text"]
    assert calls[0] == {"name": "get_task", "arguments": {"task_id": task_id}}
    assert not video["paused"] and video["time"] > 0.2, video


async def test_a_host_that_cannot_call_tools_is_told_what_to_ask_for(
    browser: Any, slow_jobs: RunningEmulator, tmp_path: Path
) -> None:
    settings = emulator_settings(slow_jobs, tmp_path, wait_seconds=0.0)
    async with apps_client(build_server(settings), client_info=NAMED) as client:
        host = await open_host(browser, client)
        result = await client.call_tool("generate_reference_video", R2V_ARGS)
        await host.show("generate_reference_video", R2V_ARGS, result, {})
        note = host.view.locator("#keep-waiting-note")
        await note.wait_for(state="visible", timeout=5000)
        button_visible = await host.view.locator("#keep-waiting").is_visible()
        text = await note.inner_text()

    assert not button_visible
    assert f"get_task with task_id {(result.structured_content or {})['task_id']}" in text


async def test_a_failed_job_shows_the_providers_reason(
    browser: Any, emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.default_script = TaskScript(queue_seconds=0.1, run_seconds=0.2, outcome="failed")
    async with apps_client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)
        host = await open_host(browser, client)
        await host.show("generate_reference_video", R2V_ARGS, result, FULL_HOST)
        error = host.view.locator("#error")
        await error.wait_for(state="visible", timeout=5000)
        shown = await error.inner_text()
        badge = await host.view.locator("#badge").inner_text()
        await host.screenshot("failed")

    assert badge == "Failed" and "failed to generate" in shown
