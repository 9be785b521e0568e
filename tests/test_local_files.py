"""Local files in: an absolute path or file:// URI in any media parameter reaches the
provider its best way -- DashScope's own temporary upload (emulated: policy, OSS form,
oss:// rules), the user's S3-compatible bucket (a real S3-protocol server, moto, over
loopback), or inline data where documented -- and never as a path. Every refusal comes
before any provider request."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import av
import boto3
import httpx2
import pytest
from mcp import Client
from moto.server import ThreadedMotoServer
from mypy_boto3_s3 import S3Client
from pydantic import ValidationError

from conftest import NAMED, R2V_ARGS, emulator_settings, text_of
from media import mp4, png, wav
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import RunningEmulator, serve_emulator
from wan_video_mcp.emulator.state import Fault
from wan_video_mcp.settings import Settings
from wan_video_mcp.staging.dashscope import DashScopeUploads
from wan_video_mcp.tasks import utc_now

pytestmark = pytest.mark.anyio
BUCKET = "wan-inputs"


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real S3-protocol server on loopback, and the usual AWS variables pointing at it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "AKIAEMULATOR",
        "AWS_SECRET_ACCESS_KEY": "emulator-secret-key-0123456789",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    endpoint = f"http://{host}:{port}"
    s3(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def s3(endpoint: str) -> S3Client:
    """The test's own S3 client (the bucket's owner, as a person with the AWS CLI would be)."""
    return boto3.client("s3", endpoint_url=endpoint)  # pyright: ignore[reportUnknownMemberType]


def bucket_settings(emulator: RunningEmulator, tmp_path: Path, endpoint: str, **more: Any) -> Settings:
    return emulator_settings(emulator, tmp_path, s3_bucket=BUCKET, s3_endpoint_url=endpoint, **more)


async def call(settings: Settings, tool: str, arguments: dict[str, Any], **options: Any) -> Any:
    async with Client(build_server(settings), client_info=NAMED) as client:
        return await client.call_tool(tool, arguments, **options)


def submits(emulator: RunningEmulator) -> list[Any]:
    return [request.body for request in emulator.state.of(call="submit")]


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in strings_in(item)]


def no_local_paths(emulator: RunningEmulator, folder: Path) -> None:
    """Nothing a provider received names a file on this machine."""
    for request in emulator.state.requests:
        if request.call != "upload":
            assert str(folder) not in json.dumps(request.body) and "file://" not in json.dumps(request.body)


async def test_dashscope_gets_an_oss_url_and_the_resolve_header(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    hero = png(tmp_path / "hero.png")
    voice = wav(tmp_path / "voice.wav", 3)
    arguments = {
        "prompt": "Image 1 walks through a garden",
        "reference_images": [str(hero)],
        "first_frame_image": hero.as_uri(),
        "reference_voices": {"Image 1": str(voice)},
        "provider": "dashscope",
    }

    result = await call(emulator_settings(emulator, tmp_path), "generate_reference_video", arguments)

    assert not result.is_error, text_of(result)
    assert result.structured_content["status"] == "succeeded"
    [submit] = emulator.state.of(call="submit")
    assert submit.headers["x-dashscope-ossresourceresolve"] == "enable"
    urls = [item.get("url") or item.get("reference_voice") for item in submit.body["input"]["media"]]
    assert urls and all(url.startswith("oss://dashscope-instant/") for url in urls), urls
    assert [r.query["model"] for r in emulator.state.of(call="policy")] == ["wan2.7-r2v"] * 2
    assert emulator.state.count(call="upload") == 2, "one upload per distinct file, not per parameter"
    uploads = result.structured_content["uploads"]
    assert {u["parameter"] for u in uploads} == {
        "reference_images[0]",
        "first_frame_image",
        "reference_voices['Image 1']",
    }
    assert all(u["method"] == "provider" and u["valid_until"] for u in uploads)
    assert "uploaded to the provider as oss://" in text_of(result)
    stored = emulator.state.oss_objects[urls[0].removeprefix("oss://")]
    assert stored.content == hero.read_bytes() and stored.model == "wan2.7-r2v"
    no_local_paths(emulator, tmp_path)


async def test_the_same_file_is_uploaded_once_and_identical_calls_dedupe_by_content(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = emulator_settings(emulator, tmp_path)
    hero = png(tmp_path / "hero.png")
    copy = tmp_path / "copy-of-hero.png"
    copy.write_bytes(hero.read_bytes())
    first = await call(settings, "generate_reference_video", {**R2V_ARGS, "reference_images": [str(hero)]})
    other_prompt = await call(
        settings,
        "generate_reference_video",
        {**R2V_ARGS, "prompt": "Image 1 dances", "reference_images": [str(hero)]},
    )
    same_content = await call(
        settings, "generate_reference_video", {**R2V_ARGS, "reference_images": [str(copy)]}
    )

    assert emulator.state.count(call="upload") == 1, "the same content is uploaded once"
    assert other_prompt.structured_content["uploads"][0]["reused"] is True
    assert emulator.state.count(call="submit") == 2, "the same request with the same content is one task"
    assert same_content.structured_content["reused"] is True
    assert same_content.structured_content["task_id"] == first.structured_content["task_id"]

    png(hero, colour=(10, 200, 10))  # new content at the same path: a new request
    changed = await call(settings, "generate_reference_video", {**R2V_ARGS, "reference_images": [str(hero)]})
    assert changed.structured_content["reused"] is False
    assert emulator.state.count(call="upload") == 2 and emulator.state.count(call="submit") == 3


async def test_an_upload_near_its_expiry_is_not_reused(emulator: RunningEmulator, tmp_path: Path) -> None:
    settings = emulator_settings(emulator, tmp_path)
    hero = png(tmp_path / "hero.png")
    await call(settings, "generate_reference_video", {**R2V_ARGS, "reference_images": [str(hero)]})
    with sqlite3.connect(settings.journal_path) as db:  # as if it had been uploaded 45 hours ago
        db.execute("UPDATE uploads SET expires_at = ?", ((utc_now() + timedelta(hours=3)).isoformat(),))

    result = await call(
        settings, "generate_reference_video", {**R2V_ARGS, "prompt": "again", "reference_images": [str(hero)]}
    )

    assert not result.is_error, text_of(result)
    assert emulator.state.count(call="upload") == 2
    assert result.structured_content["uploads"][0]["reused"] is False


async def test_an_expired_oss_url_is_refused_by_dashscope(emulator: RunningEmulator, tmp_path: Path) -> None:
    settings = emulator_settings(emulator, tmp_path)
    made = await call(
        settings, "generate_reference_video", {**R2V_ARGS, "reference_images": [str(png(tmp_path / "a.png"))]}
    )
    oss_url = made.structured_content["uploads"][0]["location"]
    emulator.state.clock.advance(49 * 3600)

    result = await call(
        settings, "generate_reference_video", {**R2V_ARGS, "prompt": "later", "reference_images": [oss_url]}
    )

    assert result.is_error and "expired" in text_of(result)


@pytest.mark.parametrize(
    ("step", "fault", "expected"),
    [
        ("policy", Fault("rate_limit"), "rate limit"),  # getPolicy refused
        (
            "upload",
            Fault("auth"),
            "AccessDenied: Invalid according to Policy: Policy expired.",
        ),  # OSS refused
    ],
)
async def test_a_refused_upload_submits_nothing(
    emulator: RunningEmulator, tmp_path: Path, step: Any, fault: Fault, expected: str
) -> None:
    emulator.state.inject("dashscope", step, fault)

    result = await call(
        emulator_settings(emulator, tmp_path),
        "generate_reference_video",
        {**R2V_ARGS, "reference_images": [str(png(tmp_path / "a.png"))]},
    )

    assert result.is_error and expected.lower() in text_of(result).lower(), text_of(result)
    assert emulator.state.count(call="submit") == 0


@pytest.mark.parametrize("provider", ["modellix", "aimlapi", "apiyi"])
async def test_a_bucket_serves_every_provider_a_working_presigned_url(
    emulator: RunningEmulator, tmp_path: Path, s3_server: str, provider: str
) -> None:
    hero = png(tmp_path / "hero.png")
    settings = bucket_settings(emulator, tmp_path, s3_server)

    result = await call(
        settings,
        "generate_reference_video",
        {**R2V_ARGS, "reference_images": [str(hero)], "provider": provider},
    )

    assert not result.is_error, text_of(result)
    [url] = [text for text in strings_in(submits(emulator)) if text.startswith(s3_server)]
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=86400" in url
    fetched = httpx2.get(url)
    assert fetched.status_code == 200 and fetched.content == hero.read_bytes()
    [upload] = result.structured_content["uploads"]
    assert upload["method"] == "bucket" and upload["location"].startswith(f"s3://{BUCKET}/wan-video-mcp/")
    assert "X-Amz-Signature" not in text_of(result), "the signed URL is the provider's, not shown around"
    no_local_paths(emulator, tmp_path)


async def test_a_bucket_upload_is_reused_while_the_object_is_there(
    emulator: RunningEmulator, tmp_path: Path, s3_server: str
) -> None:
    settings = bucket_settings(emulator, tmp_path, s3_server)
    hero = png(tmp_path / "hero.png")
    arguments = {**R2V_ARGS, "reference_images": [str(hero)], "provider": "modellix"}
    await call(settings, "generate_reference_video", arguments)
    again = await call(settings, "generate_reference_video", {**arguments, "prompt": "Image 1 runs"})
    assert again.structured_content["uploads"][0]["reused"] is True

    key = again.structured_content["uploads"][0]["location"].removeprefix(f"s3://{BUCKET}/")
    s3(s3_server).delete_object(Bucket=BUCKET, Key=key)  # as a lifecycle rule would
    third = await call(settings, "generate_reference_video", {**arguments, "prompt": "Image 1 sits"})
    assert third.structured_content["uploads"][0]["reused"] is False
    assert s3(s3_server).get_object(Bucket=BUCKET, Key=key)["Body"].read() == hero.read_bytes()


async def test_modellix_takes_a_local_video_to_edit_inline(emulator: RunningEmulator, tmp_path: Path) -> None:
    clip = mp4(tmp_path / "clip.mp4", 3)

    result = await call(
        emulator_settings(emulator, tmp_path),
        "edit_video",
        {"video_url": str(clip), "prompt": "make it clay animation", "provider": "modellix"},
    )

    assert not result.is_error, text_of(result)
    [body] = submits(emulator)
    prefix = "data:video/mp4;base64,"
    assert body["video_url"].startswith(prefix)
    assert base64.b64decode(body["video_url"].removeprefix(prefix)) == clip.read_bytes()
    assert result.structured_content["uploads"][0]["method"] == "inline"


async def test_vace_takes_local_images_through_dashscope(emulator: RunningEmulator, tmp_path: Path) -> None:
    girl, forest = png(tmp_path / "girl.png"), png(tmp_path / "forest.png", colour=(0, 120, 0))
    arguments = {
        "function": "image_reference",
        "prompt": "a girl in a forest",
        "ref_images_url": [str(girl), forest.as_uri()],
        "obj_or_bg": ["obj", "bg"],
        "provider": "dashscope",
    }

    result = await call(emulator_settings(emulator, tmp_path), "vace_edit", arguments)

    assert not result.is_error, text_of(result)
    [body] = submits(emulator)
    assert all(url.startswith("oss://") for url in body["input"]["ref_images_url"])
    assert {r.query["model"] for r in emulator.state.of(call="policy")} == {"wan2.1-vace-plus"}


async def test_upload_progress_reaches_the_client(emulator: RunningEmulator, tmp_path: Path) -> None:
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    clip = mp4(tmp_path / "clip.mp4", 4)
    await call(
        emulator_settings(emulator, tmp_path),
        "edit_video",
        {"video_url": str(clip), "prompt": "make it clay animation", "provider": "dashscope"},
        progress_callback=on_progress,
    )

    uploading = [message for message in messages if message.startswith("uploading video_url · ")]
    size = f"{clip.stat().st_size / 1024:.1f}"
    assert uploading and uploading[-1].endswith(f"{size} of {size} KB"), messages


# --- refusals: each costs nothing and names the field and the fix -------------------------


def refusal_cases(tmp_path: Path) -> list[tuple[str, dict[str, Any], str, dict[str, Any]]]:
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "notes.png").write_text("not an image at all")
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:
        file.write(b"\x89PNG\r\n\x1a\n")
        file.truncate(25 * 1024 * 1024)
    long_clip = mp4(tmp_path / "long.mp4", 12)
    voice_as_image = wav(tmp_path / "voice.wav", 2)
    image = png(tmp_path / "ok.png")
    return [
        ("missing file", {"reference_images": [str(tmp_path / "nope.png")]}, "there is no file", {}),
        ("a folder", {"reference_images": [str(tmp_path / "folder.png")]}, "not a regular file", {}),
        ("wrong type", {"reference_images": [str(tmp_path / "notes.png")]}, "read from its content", {}),
        ("audio as image", {"reference_images": [str(voice_as_image)]}, "a wav file", {}),
        ("too large", {"reference_images": [str(huge)]}, "25.0 MB", {}),
        ("relative path", {"reference_images": ["hero.png"]}, "absolute path", {}),
        (
            "no way to the provider",
            {"reference_images": [str(image)], "provider": "aimlapi"},
            "WAN_MCP_S3_BUCKET",
            {},
        ),
        (
            "outside the roots",
            {"reference_images": [str(image)]},
            "WAN_MCP_INPUT_ROOTS",
            {"input_roots": str(tmp_path / "allowed")},
        ),
        (
            "too long a video",
            {"reference_videos": [str(long_clip)], "reference_images": []},
            "lasts 12.0 s",
            {},
        ),
    ]


async def test_every_refusal_costs_nothing_and_names_the_field(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    (tmp_path / "allowed").mkdir()
    for name, arguments, expected, overrides in refusal_cases(tmp_path):
        settings = emulator_settings(emulator, tmp_path, **overrides)
        result = await call(settings, "generate_reference_video", {**R2V_ARGS, **arguments})
        text = text_of(result)
        assert result.is_error and expected in text, f"{name}: {text}"
        assert "reference_" in text, f"{name}: the field is named: {text}"
    assert emulator.state.requests == [], "no refusal reached any provider"


async def test_an_input_that_cannot_be_checked_costs_nothing_and_says_it_is_not_the_file(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Images and non-MP4 media are read by a decoder process; when none can start, the call is
    refused before any upload or submit, and the file is not blamed."""
    monkeypatch.setattr("sys.executable", str(tmp_path / "no-such-python"))
    hero = png(tmp_path / "hero.png")

    result = await call(
        emulator_settings(emulator, tmp_path),
        "generate_reference_video",
        {**R2V_ARGS, "reference_images": [str(hero)]},
    )

    text = text_of(result)
    assert result.is_error and "reference_images[0]" in text and "hero.png could not be checked" in text
    assert "its decoder could not start" in text and "Nothing was sent or charged" in text
    assert "intact file" not in text  # not the file's fault
    assert emulator.state.requests == []


async def test_a_symlink_out_of_the_allowed_folder_is_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "sneaky.png").symlink_to(png(tmp_path / "secret.png"))
    settings = emulator_settings(emulator, tmp_path, input_roots=str(allowed))

    escaped = await call(
        settings, "generate_reference_video", {**R2V_ARGS, "reference_images": [str(allowed / "sneaky.png")]}
    )
    dotted = await call(
        settings, "generate_reference_video", {**R2V_ARGS, "reference_images": [f"{allowed}/../secret.png"]}
    )
    inside = await call(
        settings,
        "generate_reference_video",
        {**R2V_ARGS, "reference_images": [str(png(allowed / "hero.png"))]},
    )

    assert escaped.is_error and "outside the folders" in text_of(escaped)
    assert dotted.is_error and "outside the folders" in text_of(dotted)
    assert not inside.is_error, text_of(inside)


async def test_an_edit_of_a_video_too_long_costs_nothing(emulator: RunningEmulator, tmp_path: Path) -> None:
    clip = mp4(tmp_path / "long.mp4", 12)

    result = await call(
        emulator_settings(emulator, tmp_path),
        "edit_video",
        {"video_url": str(clip), "prompt": "clay", "provider": "dashscope"},
    )

    assert result.is_error and "video_url" in text_of(result) and "2-10 s" in text_of(result)
    assert emulator.state.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/a.png",
        "http://127.0.0.1/a.png",
        "http://192.168.1.5/a.png",
        "https://user:pw@example.com/a.png",
    ],
)
async def test_urls_a_provider_cannot_fetch_point_to_the_local_path(
    emulator: RunningEmulator, tmp_path: Path, url: str
) -> None:
    result = await call(
        emulator_settings(emulator, tmp_path),
        "generate_reference_video",
        {**R2V_ARGS, "reference_images": [url]},
    )

    assert result.is_error and "absolute path" in text_of(result)
    assert emulator.state.requests == []


async def test_credentials_from_the_settings_file_work_and_never_show(
    emulator: RunningEmulator, tmp_path: Path, s3_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "emulator-secret-key-0123456789"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)  # only the settings (as from --env-file) carry them now
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    credentials = {"aws_access_key_id": "AKIAEMULATOR", "aws_secret_access_key": secret}
    arguments = {**R2V_ARGS, "reference_images": [str(png(tmp_path / "a.png"))], "provider": "aimlapi"}

    works = await call(
        bucket_settings(emulator, tmp_path, s3_server, **credentials), "generate_reference_video", arguments
    )
    unreachable = bucket_settings(emulator, tmp_path, "http://127.0.0.1:9", **credentials)
    broken = await call(unreachable, "generate_reference_video", {**arguments, "prompt": "another"})

    assert not works.is_error, text_of(works)
    assert (
        broken.is_error
        and "WAN_MCP_S3_ENDPOINT_URL" in text_of(broken)
        and "reference_images[0]" in text_of(broken)
    )
    assert secret not in text_of(broken) and secret not in json.dumps(works.structured_content)
    assert emulator.state.count(call="submit") == 1, "the failed upload submitted nothing"


def more_refusals(tmp_path: Path) -> list[tuple[str, str, dict[str, Any], str]]:
    (tmp_path / "fake.bmp").write_bytes(b"BM" + b"this is not a bitmap at all" * 2)
    heic = tmp_path / "photo.jpg"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    song = tmp_path / "song.mp4"
    with av.open(str(song), "w") as container:  # 3 s of sound in an mp4, no picture
        stream = container.add_stream("aac", rate=8000)
        stream.layout = "mono"
        for index in range(24):
            frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            frame.sample_rate, frame.pts = 8000, index * 1024
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))  # silence
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(mp4(tmp_path / "whole.mp4", 3).read_bytes()[:3000])  # truncated
    edit = {"prompt": "clay", "provider": "dashscope"}
    return [
        (
            "bytes that only start like a bitmap",
            "generate_reference_video",
            {**R2V_ARGS, "reference_images": [str(tmp_path / "fake.bmp")]},
            "cannot be read as an image",
        ),
        (
            "an iPhone photo",
            "generate_reference_video",
            {**R2V_ARGS, "reference_images": [str(heic)]},
            "HEIC/AVIF",
        ),
        ("sound without a picture", "edit_video", {**edit, "video_url": str(song)}, "no video track"),
        ("a truncated video", "edit_video", {**edit, "video_url": str(clip)}, "intact file"),
        (
            "a NUL in the path",
            "generate_reference_video",
            {**R2V_ARGS, "reference_images": [f"{tmp_path}/a.png\x00.png"]},
            "NUL",
        ),
        ("a single-label host", "edit_video", {**edit, "video_url": "http://nas/clip.mp4"}, "single-label"),
    ]


async def test_content_that_is_not_what_it_seems_is_refused_before_anything_moves(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    for name, tool, arguments, expected in more_refusals(tmp_path):
        result = await call(emulator_settings(emulator, tmp_path), tool, arguments)
        assert result.is_error and expected in text_of(result), f"{name}: {text_of(result)}"
    assert emulator.state.requests == []


async def test_a_file_uri_without_an_authority_is_read(emulator: RunningEmulator, tmp_path: Path) -> None:
    hero = png(tmp_path / "hero.png")

    result = await call(
        emulator_settings(emulator, tmp_path),
        "generate_reference_video",
        {**R2V_ARGS, "reference_images": [f"file:{hero}"]},  # RFC 8089's short form, file:/path
    )

    assert not result.is_error, text_of(result)


async def test_a_file_that_changes_during_the_upload_is_not_submitted(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hero = png(tmp_path / "hero.png")
    checked_policy = DashScopeUploads._policy  # pyright: ignore[reportPrivateUsage]

    async def policy_then_edit(self: DashScopeUploads, file: Any, model: Any) -> Any:
        answer = await checked_policy(self, file, model)
        png(hero, colour=(0, 0, 255))  # another process rewrites the file after it was checked
        return answer

    monkeypatch.setattr(DashScopeUploads, "_policy", policy_then_edit)
    settings = emulator_settings(emulator, tmp_path)

    result = await call(settings, "generate_reference_video", {**R2V_ARGS, "reference_images": [str(hero)]})

    assert result.is_error and "changed while it was being uploaded" in text_of(result)
    assert emulator.state.count(call="submit") == 0
    with sqlite3.connect(settings.journal_path) as db:
        assert db.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0, "nothing remembered"


@pytest.mark.parametrize("roots", ["relative/folder", "/no/such/folder", " . "])
def test_input_roots_must_be_existing_absolute_folders(roots: str) -> None:
    with pytest.raises(ValidationError, match="WAN_MCP_INPUT_ROOTS"):
        Settings(input_roots=roots)  # pyright: ignore[reportCallIssue]


def test_input_roots_are_trimmed(tmp_path: Path) -> None:
    settings = Settings(input_roots=f" {tmp_path} {os.pathsep}  ")  # pyright: ignore[reportCallIssue]
    assert settings.input_root_paths == [tmp_path.resolve()]


async def test_the_storage_host_may_differ_from_the_api_host(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # Real DashScope names a separate OSS host in its policy: here a second server on
    # another port (the same emulated storage behind it).
    async with serve_emulator(emulator.state) as storage:
        emulator.state.options.oss_origin = storage.origin
        result = await call(
            emulator_settings(emulator, tmp_path),
            "generate_reference_video",
            {**R2V_ARGS, "reference_images": [str(png(tmp_path / "a.png"))]},
        )

    assert not result.is_error, text_of(result)
    [upload] = emulator.state.of(call="upload")
    assert upload.method == "POST" and emulator.state.count(call="submit") == 1
