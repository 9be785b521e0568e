"""Saved results: atomic, capped, confined to the folder, retried, never sent a key."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from mcp import Client

from conftest import FAST_SCRIPT, NAMED, R2V_ARGS, emulator_settings, text_of
from wan_video_mcp.app import build_server
from wan_video_mcp.downloads import VideoSaver
from wan_video_mcp.emulator import (
    EmulatorOptions,
    EmulatorState,
    Fault,
    RunningEmulator,
    TaskScript,
    serve_emulator,
)
from wan_video_mcp.errors import DownloadError, DownloadTooLarge
from wan_video_mcp.linkguard import LinkGuard
from wan_video_mcp.tasks import TaskHandle

pytestmark = pytest.mark.anyio


def saver_for(emulator: RunningEmulator, folder: Path, max_bytes: int = 10**7) -> VideoSaver:
    """A saver that trusts the emulator's origin, as the server trusts its providers' origins."""
    return VideoSaver(folder, max_bytes=max_bytes, guard=LinkGuard([emulator.origin]))


def leftovers(folder: Path) -> list[str]:
    """What is in `folder` besides contact sheets (made beside every saved video)."""
    names = sorted(path.name for path in folder.iterdir()) if folder.exists() else []
    return [name for name in names if not name.endswith(".jpg")]


async def test_the_video_is_saved_without_sending_any_key(
    client: Client, emulator: RunningEmulator, tmp_path: Path
) -> None:
    for provider in ("dashscope", "apiyi", "modellix", "aimlapi"):
        result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": provider})
        structured = result.structured_content or {}
        assert Path(structured["local_file"]).read_bytes() == emulator.state.video
        assert Path(structured["local_file"]).parent == (tmp_path / "videos").resolve()

    downloads = emulator.state.of(call="download")
    assert len(downloads) == 4
    assert all("authorization" not in request.headers for request in downloads)


async def test_the_one_link_is_the_saved_video_and_it_can_be_read(
    client: Client, emulator: RunningEmulator
) -> None:
    result = await client.call_tool("generate_reference_video", R2V_ARGS)

    structured = result.structured_content or {}
    # Two links: the video, and its contact sheet (both files this server saved).
    links = {block.mime_type: block for block in result.content if block.type == "resource_link"}
    assert set(links) == {"video/mp4", "image/jpeg"}
    link = links["video/mp4"]
    assert str(link.uri) == Path(structured["local_file"]).as_uri()
    read = await client.read_resource(link.uri)
    [contents] = read.contents
    assert base64.b64decode(contents.blob) == emulator.state.video  # type: ignore[union-attr]
    # The provider's link stays in the text and the structured result, not as a link to read.
    assert structured["video_url"] in text_of(result)


@pytest.mark.parametrize(
    "uri",
    ["file:///etc/passwd", "file:///tmp/../etc/hosts", "https://example.com/v.mp4", "file:///nope.mp4"],
)
async def test_only_saved_videos_can_be_read(client: Client, uri: str) -> None:
    await client.call_tool("generate_reference_video", R2V_ARGS)

    with pytest.raises(Exception, match=r"saved|Unknown resource|not a"):
        await client.read_resource(uri)


async def test_a_video_larger_than_resources_serve_is_not_linked(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = emulator_settings(emulator, tmp_path, max_resource_mb=0.001)
    async with Client(build_server(settings), client_info=NAMED) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)
        local_file = (result.structured_content or {})["local_file"]
        with pytest.raises(Exception, match="more than resources/read serves"):
            await client.read_resource(Path(local_file).as_uri())

    assert [block for block in result.content if block.type == "resource_link"] == []
    assert local_file in text_of(result)


async def test_a_broken_transfer_is_retried_and_leaves_no_partial_file(
    client: Client, emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.inject("*", "download", Fault("truncate"))

    result = await client.call_tool("generate_reference_video", R2V_ARGS)

    structured = result.structured_content or {}
    assert Path(structured["local_file"]).read_bytes() == emulator.state.video
    assert emulator.state.count(call="download") == 2
    assert leftovers(tmp_path / "videos") == [Path(structured["local_file"]).name]


async def test_a_download_that_keeps_breaking_does_not_fail_the_task(
    client: Client, emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.inject("*", "download", Fault("truncate"), times=3)

    result = await client.call_tool("generate_reference_video", R2V_ARGS)

    structured = result.structured_content or {}
    assert not result.is_error and structured["status"] == "succeeded"
    assert structured["local_file"] is None and structured["video_url"]
    assert "Saving the video failed" in text_of(result) and "still works until 20" in text_of(result)
    assert leftovers(tmp_path / "videos") == []

    later = await client.call_tool("get_task", {"task_id": structured["task_id"]})
    assert Path((later.structured_content or {})["local_file"]).read_bytes() == emulator.state.video


async def test_an_oversized_video_is_refused(emulator: RunningEmulator, tmp_path: Path) -> None:
    emulator.state.inject("*", "download", Fault("oversize"))
    settings = emulator_settings(emulator, tmp_path, max_download_mb=1)

    async with Client(build_server(settings)) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)

    assert (result.structured_content or {})["local_file"] is None
    assert "larger than the download limit" in text_of(result) and "WAN_MCP_MAX_DOWNLOAD_MB" in text_of(
        result
    )
    assert leftovers(tmp_path / "videos") == []


async def test_a_declared_oversize_is_refused_before_reading(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    saver = saver_for(emulator, tmp_path, max_bytes=1000)
    task = emulator.state.create_task("dashscope", "wan2.7-r2v", {})
    url = f"{emulator.origin}/cdn/dashscope/{task.token}.mp4?Expires=9999999999&Signature=x"

    with pytest.raises(DownloadTooLarge):
        await saver.save(TaskHandle("dashscope", "big"), url)
    await saver.aclose()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "ids",
    [
        ("zz_k1", "zz/k1"),  # cleaned to the same characters
        ("a" * 100 + "1", "a" * 100 + "2"),  # the same once cut to length
        ("x", "x."),
    ],
)
def test_every_handle_gets_its_own_file_inside_the_folder(tmp_path: Path, ids: tuple[str, str]) -> None:
    saver = VideoSaver(tmp_path / "videos", max_bytes=10)

    paths = [saver.path_for(TaskHandle("modellix", task_id)) for task_id in ids]

    assert paths[0] != paths[1]
    for path in paths:
        assert path.parent == (tmp_path / "videos").resolve()
        assert path.suffix == ".mp4" and not path.name.startswith(".") and len(path.name) < 120
    assert saver.path_for(TaskHandle("modellix", ids[0])) == paths[0], "the same handle, the same name"


@pytest.mark.parametrize(
    "hostile", ["../../etc/passwd", "..\\..\\windows\\win.ini", "/abs", "\x00nul", "名前"]
)
def test_hostile_ids_never_name_a_file_outside_the_folder(tmp_path: Path, hostile: str) -> None:
    path = VideoSaver(tmp_path / "videos", max_bytes=10).path_for(TaskHandle("modellix", hostile))

    assert path.parent == (tmp_path / "videos").resolve() and "/" not in path.name and ".." not in path.name


async def test_ids_that_clean_alike_are_each_handed_their_own_video(tmp_path: Path) -> None:
    state = EmulatorState(EmulatorOptions(distinct_videos=True))
    state.default_script = FAST_SCRIPT
    async with (
        serve_emulator(state) as emulator,
        Client(build_server(emulator_settings(emulator, tmp_path))) as client,
    ):
        results = []
        for task_id, seed in (("zz-k1", 1), ("zz_k1", 2), ("k" * 120 + "1", 3), ("k" * 120 + "2", 4)):
            state.next_task_id = task_id
            result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": seed})
            results.append(result.structured_content or {})

    files = [Path(result["local_file"]) for result in results]
    assert len(set(files)) == 4
    for result, file in zip(results, files, strict=True):
        task = state.find("dashscope", result["task_id"].partition(":")[2])
        assert task is not None and file.read_bytes() == state.video_of(task)


async def test_an_expired_link_says_so(tmp_path: Path, emulator: RunningEmulator) -> None:
    saver = saver_for(emulator, tmp_path)
    task = emulator.state.create_task("dashscope", "wan2.7-r2v", {})
    url = f"{emulator.origin}/cdn/dashscope/{task.token}.mp4?Expires=1000&Signature=x"

    with pytest.raises(DownloadError, match="expired"):
        await saver.save(TaskHandle("dashscope", "old"), url)
    await saver.aclose()


async def test_a_page_that_is_not_a_video_is_not_saved(
    client: Client, emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.video = b"<html><body>Access denied</body></html>"

    result = await client.call_tool("generate_reference_video", R2V_ARGS)

    assert (result.structured_content or {})["local_file"] is None
    assert "did not return an MP4" in text_of(result)
    assert leftovers(tmp_path / "videos") == []


async def test_saving_can_be_turned_off(emulator: RunningEmulator, tmp_path: Path) -> None:
    # With the contact sheet off too, nothing is fetched at all (see test_preview for the sheet).
    settings = emulator_settings(emulator, tmp_path, download=False, sheet_frames=0)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)

    assert (result.structured_content or {})["local_file"] is None and (result.structured_content or {})[
        "video_url"
    ]
    assert emulator.state.count(call="download") == 0


async def test_a_finished_video_is_saved_once(client: Client, emulator: RunningEmulator) -> None:
    result = await client.call_tool("generate_reference_video", R2V_ARGS)
    task_id = (result.structured_content or {})["task_id"]

    for _ in range(3):
        again = await client.call_tool("get_task", {"task_id": task_id})
        assert (again.structured_content or {})["local_file"] == (result.structured_content or {})[
            "local_file"
        ]

    assert emulator.state.count(call="download") == 1


async def test_a_slow_download_continues_in_the_background(
    client: Client, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=0.05, run_seconds=0.1))
    emulator.state.inject("*", "download", Fault("slow", delay=3.0))

    result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 1.5})
    structured = result.structured_content or {}
    assert structured["status"] == "succeeded" and structured["local_file"] is None
    assert "still being saved in the background" in text_of(result)

    # get_task waits (within its own budget) for the download already under way.
    later = await client.call_tool("get_task", {"task_id": structured["task_id"]})
    assert Path((later.structured_content or {})["local_file"]).exists()
    assert emulator.state.count(call="download") == 1


async def test_a_download_that_drags_on_is_stopped(emulator: RunningEmulator, tmp_path: Path) -> None:
    emulator.state.inject("*", "download", Fault("stall", delay=30))
    settings = emulator_settings(emulator, tmp_path, download_timeout_seconds=1)

    async with Client(build_server(settings)) as client:
        result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 8})

    structured = result.structured_content or {}
    assert structured["status"] == "succeeded" and structured["local_file"] is None
    assert "longer than 1 s" in text_of(result) and "WAN_MCP_DOWNLOAD_TIMEOUT_SECONDS" in text_of(result)
    assert leftovers(tmp_path / "videos") == [], "no partial file is left behind"


async def test_an_unwritable_output_folder_is_named_in_the_note(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = emulator_settings(emulator, tmp_path, output_dir=blocker / "videos")

    async with Client(build_server(settings)) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)

    assert not result.is_error and (result.structured_content or {})["status"] == "succeeded"
    assert "WAN_MCP_OUTPUT_DIR" in text_of(result) and (result.structured_content or {})["video_url"]
