"""What a finished video looks like, through the real MCP client: a contact sheet image for
the model (frames spread through the video, labelled), the video's real properties, notes
where it contradicts the request, and a broken video that still leaves a succeeded task."""

from __future__ import annotations

import base64
import io
import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import anyio
import anyio.to_thread
import av
import pytest
from av.container import InputContainer
from mcp import Client
from PIL import Image, ImageChops, ImageStat

from conftest import NAMED, R2V_ARGS, emulator_settings, text_of
from wan_video_mcp.app import build_server
from wan_video_mcp.decoder import Decoders
from wan_video_mcp.decoder.reader import read
from wan_video_mcp.emulator import RunningEmulator
from wan_video_mcp.emulator.state import sample_video
from wan_video_mcp.preview.previewer import BUSY_NOTE, Preview, Previewer

pytestmark = pytest.mark.anyio


def images_in(result: Any) -> list[Any]:
    return [block for block in result.content if block.type == "image"]


def tiles(sheet: Image.Image, count: int = 4) -> list[Image.Image]:
    """The sheet's tiles (two columns), without their time labels."""
    width, height = (sheet.width - 4) // 2, (sheet.height - 4) // 2
    corners = [((index % 2) * (width + 4), (index // 2) * (height + 4)) for index in range(count)]
    return [sheet.crop((x, y + 40, x + width, y + height)) for x, y in corners]


async def test_a_finished_video_comes_with_its_contact_sheet_and_real_properties(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with Client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)
        structured = result.structured_content or {}
        [image] = images_in(result)
        links = {block.mime_type: block.uri for block in result.content if block.type == "resource_link"}
        again = await client.call_tool("get_task", {"task_id": structured["task_id"]})
        sheet_read = await client.read_resource(links["image/jpeg"])

    data = base64.b64decode(image.data)
    sheet = Image.open(io.BytesIO(data))
    assert image.mime_type == "image/jpeg" and sheet.format == "JPEG"
    assert len(data) <= 120 * 1024 and sheet.width <= 1024
    parts = tiles(sheet)
    differences = [ImageStat.Stat(ImageChops.difference(a, b)).mean for a, b in itertools.pairwise(parts)]
    assert all(sum(mean) > 10 for mean in differences), "every frame differs from the next"
    assert all(max(ImageStat.Stat(part).stddev) > 5 for part in parts), "no blank tile"
    with av.open(structured["local_file"], mode="r") as opened:
        container = cast(InputContainer, opened)
        stream = container.streams.video[0]
        real = ((container.duration or 0) / 1e6, stream.codec_context.width, stream.codec_context.height)
    video = structured["video"]
    assert (video["duration_seconds"], video["width"], video["height"]) == pytest.approx(real, abs=0.01)
    assert video["size_bytes"] == Path(structured["local_file"]).stat().st_size
    assert Path(structured["contact_sheet"]).read_bytes() == data
    assert structured["contact_sheet"] == str(Path(structured["local_file"]).with_suffix(".jpg"))
    assert "Contact sheet" in text_of(result) and "The video: 5.0 s, 1280x720" in text_of(result)
    assert base64.b64decode(images_in(again)[0].data) == data, "get_task shows the same sheet"
    assert base64.b64decode(sheet_read.contents[0].blob) == data  # type: ignore[union-attr]


async def test_a_video_that_contradicts_the_request_gets_a_note(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with Client(build_server(emulator_settings(emulator, tmp_path))) as client:
        result = await client.call_tool(
            "generate_reference_video", {**R2V_ARGS, "duration": 10, "resolution": "1080P"}
        )

    notes = (result.structured_content or {})["notes"]
    assert "Asked for 10 s, but the video lasts 5.0 s." in notes
    assert "Asked for 1080P, but the video is 1280x720." in notes


async def test_a_truncated_video_still_succeeds_with_a_note(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.video = emulator.state.video[: len(emulator.state.video) // 3]

    async with Client(build_server(emulator_settings(emulator, tmp_path))) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)

    structured = result.structured_content or {}
    assert not result.is_error and structured["status"] == "succeeded"
    assert images_in(result) == [] and structured["contact_sheet"] is None
    assert any("could not be fully read" in note for note in structured["notes"]), structured["notes"]


async def test_the_sheet_can_be_turned_off(emulator: RunningEmulator, tmp_path: Path) -> None:
    settings = emulator_settings(emulator, tmp_path, sheet_frames=0)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)

    structured = result.structured_content or {}
    assert images_in(result) == [] and structured["contact_sheet"] is None
    assert structured["video"]["width"] == 1280


def test_serving_imports_no_decoder_image_library_or_cloud_client() -> None:
    # They load on first use (a local file, a finished video, a bucket): start-up stays lean.
    code = "import sys, wan_video_mcp.cli, wan_video_mcp.app; print(sorted(set(sys.modules) & {'av', 'PIL', 'boto3'}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


async def test_a_video_that_is_not_saved_is_still_looked_at(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = emulator_settings(emulator, tmp_path, download=False)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)

    structured = result.structured_content or {}
    assert structured["local_file"] is None and structured["contact_sheet"] is None
    assert len(images_in(result)) == 1 and structured["video"]["width"] == 1280
    assert not (tmp_path / "videos").exists() or list((tmp_path / "videos").iterdir()) == [], "nothing kept"


async def test_a_result_does_not_wait_long_for_a_busy_decoder(tmp_path: Path) -> None:
    """Hundreds of videos finishing together must not hold each result for its turn: after a
    short wait the result goes out without its sheet, and a later look makes one."""
    stuck = tmp_path / "stuck.mp4"
    os.mkfifo(stuck)  # reading it blocks until someone writes: it holds the only turn
    video = tmp_path / "video.mp4"
    video.write_bytes(sample_video())
    decoders = Decoders(1)
    previewer = Previewer(4, 1024, 120 * 1024, decoders, turns=1, turn_wait=0.3)
    busy: list[Preview] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(previewer.preview, stuck, {})
        await anyio.sleep(0.3)
        busy.append(await previewer.preview(video, {}))
        await anyio.to_thread.run_sync(lambda: stuck.open("wb").close())  # the stuck read ends

    later = await previewer.preview(video, {})
    await decoders.aclose()

    assert busy[0].sheet is None and busy[0].notes == [BUSY_NOTE]
    assert later.sheet is not None and later.video is not None


def test_frames_are_scaled_to_their_tile_while_decoding(tmp_path: Path) -> None:
    """The reader converts each kept frame straight to its tile's size (no full-size picture
    held); what it gives is the same picture as a full-size frame scaled afterwards."""
    video = tmp_path / "video.mp4"
    video.write_bytes(sample_video())
    scaled, whole = read(video, 4, 300), read(video, 4, None)

    assert [frame.image.size for frame in scaled.frames] == [(300, 169)] * 4
    assert [frame.image.size for frame in whole.frames] == [(1280, 720)] * 4
    for small, big in zip(scaled.frames, whole.frames, strict=True):
        assert small.seconds == big.seconds
        reference = big.image.resize((300, 169), Image.Resampling.LANCZOS)
        assert max(ImageStat.Stat(ImageChops.difference(small.image, reference)).mean) < 6
