"""Invalid calls are refused with an error naming the field, and nothing reaches a provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from conftest import EDIT_ARGS, R2V_ARGS, VACE_ARGS, emulator_settings, text_of
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import RunningEmulator

pytestmark = pytest.mark.anyio

IMG = "https://example.com/i.png"
VID = "https://example.com/v.mp4"


def r2v(**changes: Any) -> dict[str, Any]:
    return {**R2V_ARGS, **changes}


def edit(**changes: Any) -> dict[str, Any]:
    return {**EDIT_ARGS, **changes}


def vace(function: str, **fields: Any) -> dict[str, Any]:
    return {"function": function, "prompt": "make it so", **fields}


CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    # --- generate_reference_video -------------------------------------------------------------
    ("generate_reference_video", {"prompt": "no inputs"}, ["reference_images", "at least one"]),
    ("generate_reference_video", r2v(reference_images=[IMG] * 4, reference_videos=[VID] * 2), ["at most 5"]),
    ("generate_reference_video", r2v(reference_images=[IMG] * 6), ["reference_images", "at most 5"]),
    ("generate_reference_video", r2v(reference_videos=[VID], duration=12), ["duration", "10 or less"]),
    ("generate_reference_video", r2v(duration=16), ["duration", "15"]),
    ("generate_reference_video", r2v(duration=1), ["duration", "2"]),
    ("generate_reference_video", r2v(duration=5.5), ["duration"]),
    ("generate_reference_video", r2v(resolution="4K"), ["resolution", "720P, 1080P"]),
    ("generate_reference_video", r2v(resolution="720p"), ["resolution", "720P"]),
    ("generate_reference_video", r2v(ratio="21:9"), ["ratio", "16:9"]),
    ("generate_reference_video", r2v(reference_voices={"Image 2": IMG}), ["reference_voices", "Image 2"]),
    ("generate_reference_video", r2v(reference_voices={"Video 1": IMG}), ["reference_voices", "Video 1"]),
    ("generate_reference_video", r2v(reference_voices={"Person 1": IMG}), ["reference_voices", "Image N"]),
    # Not a URL: read as a relative file path, which the server cannot place.
    (
        "generate_reference_video",
        r2v(reference_images=["not a url"]),
        ["reference_images[0]", "absolute path"],
    ),
    ("generate_reference_video", r2v(first_frame_image="ftp://x/y.png"), ["first_frame_image", "http(s)"]),
    ("generate_reference_video", r2v(prompt=""), ["prompt"]),
    ("generate_reference_video", r2v(prompt="x" * 5001), ["prompt", "5000"]),
    ("generate_reference_video", r2v(negative_prompt="x" * 501), ["negative_prompt", "500"]),
    ("generate_reference_video", r2v(seed=-1), ["seed"]),
    ("generate_reference_video", r2v(seed=2147483648), ["seed", "2147483647"]),
    ("generate_reference_video", r2v(image_urls=[IMG]), ["image_urls", "Did you mean `reference_images`"]),
    ("generate_reference_video", r2v(aspect_ratio="16:9"), ["aspect_ratio", "Did you mean `ratio`"]),
    (
        "generate_reference_video",
        r2v(provider="aimlapi", duration=7),
        ["provider", "5, 10 or 15", "dashscope"],
    ),
    (
        "generate_reference_video",
        r2v(provider="aimlapi", reference_voices={"Image 1": IMG}),
        ["reference_voices"],
    ),
    ("generate_reference_video", r2v(provider="modellix", watermark=True), ["watermark", "dashscope"]),
    (
        "generate_reference_video",
        r2v(provider="modellix", reference_voices={"Image 1": IMG}),
        ["reference_voices"],
    ),
    ("generate_reference_video", r2v(provider="openai"), ["provider", "dashscope"]),
    ("generate_reference_video", r2v(wait_seconds=-1), ["wait_seconds"]),
    ("generate_reference_video", r2v(wait_seconds=4000), ["wait_seconds", "3600"]),
    (
        "generate_reference_video",
        r2v(reference_images=["oss://bucket/a.png"], provider="modellix"),
        ["oss://", "dashscope"],
    ),
    (
        "generate_reference_video",
        r2v(reference_images=["oss://bucket/a.png"], provider="apiyi"),
        ["oss://", "dashscope"],
    ),
    # --- edit_video -----------------------------------------------------------------------------
    ("edit_video", {"prompt": "no video"}, ["video_url", "required"]),
    ("edit_video", edit(reference_images=[IMG] * 5), ["reference_images", "at most 4"]),
    ("edit_video", edit(duration=1), ["duration", "0, 2, 3"]),
    ("edit_video", edit(duration=11), ["duration"]),
    ("edit_video", edit(audio_setting="mute"), ["audio_setting", "auto, origin"]),
    ("edit_video", edit(ratio="2:1"), ["ratio"]),
    ("edit_video", edit(video_url="/home/me/no-such-clip.mp4"), ["video_url", "there is no file"]),
    ("edit_video", edit(provider="aimlapi"), ["provider", "does not offer wan2.7-videoedit"]),
    ("edit_video", edit(provider="modellix", watermark=True), ["watermark"]),
    ("edit_video", edit(function="video_edit"), ["function", "not an argument"]),
    ("edit_video", edit(video_url="oss://bucket/in.mp4", provider="aimlapi"), ["provider"]),
    (
        "vace_edit",
        {**VACE_ARGS, "ref_images_url": ["oss://b/a.png", IMG], "provider": "modellix"},
        ["oss://"],
    ),
    # --- vace_edit ------------------------------------------------------------------------------
    ("vace_edit", vace("image_reference"), ["ref_images_url", "image_reference needs"]),
    ("vace_edit", vace("image_reference", ref_images_url=[IMG] * 4), ["ref_images_url", "at most 3"]),
    ("vace_edit", vace("image_reference", ref_images_url=[IMG, IMG], obj_or_bg=["obj"]), ["obj_or_bg", "2"]),
    (
        "vace_edit",
        vace("image_reference", ref_images_url=[IMG, IMG], obj_or_bg=["bg", "bg"]),
        ["obj_or_bg", "one"],
    ),
    (
        "vace_edit",
        vace("image_reference", ref_images_url=[IMG], video_url=VID),
        ["video_url", "does not use"],
    ),
    (
        "vace_edit",
        vace("image_reference", ref_images_url=[IMG], strength=0.5),
        ["strength", "video_repainting"],
    ),
    ("vace_edit", vace("video_repainting", video_url=VID), ["control_condition"]),
    ("vace_edit", vace("video_repainting", control_condition="depth"), ["video_url"]),
    (
        "vace_edit",
        vace("video_repainting", video_url=VID, control_condition="depth", ref_images_url=[IMG, IMG]),
        ["ref_images_url", "at most 1"],
    ),
    (
        "vace_edit",
        vace("video_repainting", video_url=VID, control_condition="depth", strength=1.5),
        ["strength"],
    ),
    (
        "vace_edit",
        vace("video_repainting", video_url=VID, control_condition="canny"),
        ["control_condition", "depth"],
    ),
    (
        "vace_edit",
        vace("video_repainting", video_url=VID, control_condition="depth", size="960*960"),
        ["size"],
    ),
    ("vace_edit", vace("video_edit", video_url=VID), ["mask", "exactly one mask"]),
    (
        "vace_edit",
        vace("video_edit", video_url=VID, mask_image_url=IMG, mask_video_url=VID),
        ["mask_image_url", "both"],
    ),
    ("vace_edit", vace("video_edit", video_url=VID, mask_video_url=VID, mask_frame_id=3), ["mask_frame_id"]),
    ("vace_edit", vace("video_edit", video_url=VID, mask_image_url=IMG, mask_frame_id=0), ["mask_frame_id"]),
    ("vace_edit", vace("video_edit", video_url=VID, mask_image_url=IMG, expand_ratio=2), ["expand_ratio"]),
    (
        "vace_edit",
        vace("video_edit", video_url=VID, mask_image_url=IMG, expand_mode="circle"),
        ["expand_mode"],
    ),
    (
        "vace_edit",
        vace("video_edit", video_url=VID, mask_image_url=IMG, top_scale=1.5),
        ["top_scale", "video_outpainting"],
    ),
    ("vace_edit", vace("video_extension"), ["first_clip_url", "at least one"]),
    ("vace_edit", vace("video_extension", first_clip_url=VID, video_url=VID), ["control_condition"]),
    ("vace_edit", vace("video_extension", first_clip_url=VID, mask_image_url=IMG), ["mask_image_url"]),
    ("vace_edit", vace("video_outpainting", video_url=VID), ["top_scale", "nothing to outpaint"]),
    ("vace_edit", vace("video_outpainting", video_url=VID, top_scale=2.5), ["top_scale", "2.0"]),
    ("vace_edit", vace("video_outpainting", top_scale=1.5), ["video_url"]),
    ("vace_edit", vace("video_outpainting", video_url=VID, left_scale=1.2, obj_or_bg=["obj"]), ["obj_or_bg"]),
    ("vace_edit", {**VACE_ARGS, "size": "1920*1080"}, ["size", "1280*720"]),
    ("vace_edit", {**VACE_ARGS, "prompt": "x" * 801}, ["prompt", "800"]),
    ("vace_edit", {**VACE_ARGS, "function": "inpaint"}, ["function", "image_reference"]),
    ("vace_edit", {**VACE_ARGS, "provider": "aimlapi"}, ["provider", "does not offer wan2.1-vace-plus"]),
    ("vace_edit", {**VACE_ARGS, "provider": "apiyi"}, ["provider", "does not offer"]),
    (
        "vace_edit",
        vace("video_repainting", video_url=VID, control_condition="depth", strength=0.4, provider="modellix"),
        ["strength", "dashscope"],
    ),
    ("vace_edit", {"function": "image_reference", "ref_images_url": [IMG]}, ["prompt", "required"]),
    # --- strict JSON types: a string is not a boolean or a number --------------------------------
    ("generate_reference_video", r2v(force_new="yes"), ["force_new", "true or false", "not text"]),
    ("generate_reference_video", r2v(watermark="off"), ["watermark", "true or false"]),
    ("generate_reference_video", r2v(prompt_extend=1), ["prompt_extend", "true or false"]),
    ("generate_reference_video", r2v(duration="5"), ["duration", "whole number", "not text"]),
    ("generate_reference_video", r2v(seed="42"), ["seed"]),
    ("generate_reference_video", r2v(seed=True), ["seed"]),
    ("generate_reference_video", r2v(wait_seconds="10"), ["wait_seconds"]),
    ("generate_reference_video", r2v(prompt=["Image 1 walks"]), ["prompt", "text"]),
    ("generate_reference_video", r2v(reference_images="https://example.com/a.png"), ["reference_images"]),
    ("edit_video", edit(duration="0"), ["duration"]),
    ("vace_edit", {**VACE_ARGS, "seed": 1.5}, ["seed"]),
    (
        "vace_edit",
        vace("video_repainting", video_url=VID, control_condition="depth", strength="1"),
        ["strength"],
    ),
    ("get_task", {"task_id": "dashscope:1", "wait_seconds": "5"}, ["wait_seconds"]),
    # --- every integer has a bound --------------------------------------------------------------
    (
        "vace_edit",
        vace("video_edit", video_url=VID, mask_image_url=IMG, mask_frame_id=10**20),
        ["mask_frame_id", "600"],
    ),
    ("generate_reference_video", r2v(seed=2**70), ["seed", "2147483647"]),
    # --- URLs only the user's machine can reach, or that carry credentials -----------------------
    (
        "generate_reference_video",
        r2v(reference_images=["http://user:pw@example.com/a.png"]),
        ["reference_images[0]", "password"],
    ),
    (
        "generate_reference_video",
        r2v(first_frame_image="http://localhost:8000/a.png"),
        ["first_frame_image", "localhost"],
    ),
    (
        "generate_reference_video",
        r2v(reference_videos=["http://127.0.0.1/v.mp4"]),
        ["reference_videos[0]", "loopback"],
    ),
    (
        "generate_reference_video",
        r2v(reference_images=["http://2130706433/a.png"]),
        ["reference_images[0]", "loopback"],
    ),
    (
        "generate_reference_video",
        r2v(reference_voices={"Image 1": "http://192.168.1.5/v.mp3"}),
        ["reference_voices", "private"],
    ),
    ("edit_video", edit(video_url="http://169.254.169.254/latest"), ["video_url", "link-local"]),
    ("edit_video", edit(video_url="http:///clip.mp4"), ["video_url", "host"]),
    ("edit_video", edit(video_url="https://[fd00::1]/clip.mp4"), ["video_url", "private"]),
    ("edit_video", edit(video_url="http://nas.local/clip.mp4"), ["video_url", "local network"]),
    (
        "vace_edit",
        vace("video_outpainting", video_url="http://10.1.2.3/v.mp4", top_scale=1.5),
        ["video_url", "private"],
    ),
    (
        "vace_edit",
        {**VACE_ARGS, "ref_images_url": ["http://[::1]/a.png", IMG]},
        ["ref_images_url[0]", "loopback"],
    ),
    # ... however the host is spelled: as a URL parser would read it
    (
        "generate_reference_video",
        r2v(reference_images=["http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/a.png"]),
        ["loopback"],
    ),
    ("generate_reference_video", r2v(reference_images=["http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/a.png"]), ["local network"]),
    ("generate_reference_video", r2v(reference_images=["http://127.0.0.1%2e/a.png"]), ["loopback"]),
    ("generate_reference_video", r2v(reference_images=["http://%6c%6f%63%61%6c%68%6f%73%74/a"]), ["local"]),
    ("generate_reference_video", r2v(reference_images=["http://[::127.0.0.1]/a.png"]), ["loopback"]),
    ("generate_reference_video", r2v(reference_images=["http://[64:ff9b::7f00:1]/a.png"]), ["loopback"]),
    ("generate_reference_video", r2v(reference_images=["http://[2002:7f00:1::]/a.png"]), ["loopback"]),
    ("generate_reference_video", r2v(reference_images=["http://[::ffff:10.0.0.1]/a"]), ["private"]),
    ("generate_reference_video", r2v(reference_images=["http://example.com:99999/a.png"]), ["port"]),
    ("generate_reference_video", r2v(reference_images=["http://example.com:abc/a.png"]), ["port"]),
    ("generate_reference_video", r2v(first_frame_image='["https://example.com/a.png"]'), ["one URL"]),
    ("generate_reference_video", r2v(reference_images=["http://localhost\u00ad/a.png"]), ["local network"]),
    ("generate_reference_video", r2v(reference_images=["http://local\u200bhost/a.png"]), ["local network"]),
    ("generate_reference_video", r2v(reference_images=["http://[fec0::1]/a.png"]), ["site-local"]),
    ("generate_reference_video", r2v(reference_images=["http://[64:ff9b:1::a00:1]/a"]), ["private"]),
    ("generate_reference_video", r2v(reference_images=["http://4294967296/a.png"]), ["not a valid host"]),
    ("generate_reference_video", r2v(reference_images=["http://256.0.0.1/a.png"]), ["not a valid host"]),
    ("generate_reference_video", r2v(reference_images=["https://example.com:0/a.png"]), ["port"]),
    # --- floods: refused at once, not checked one by one ----------------------------------------
    (
        "generate_reference_video",
        r2v(reference_voices={f"k{n}": "x" for n in range(20000)}),
        ["20000 entries"],
    ),
    ("generate_reference_video", r2v(reference_images=["x"] * 3000), ["3000 entries"]),
    # --- text that means nothing ----------------------------------------------------------------
    ("generate_reference_video", r2v(prompt="\u200b\ufeff\u3000"), ["prompt", "white space"]),
    (
        "generate_reference_video",
        r2v(negative_prompt="x" * 501),
        ["negative_prompt", "501 characters long; at most 500"],
    ),
    ("generate_reference_video", r2v(prompt="   "), ["prompt", "white space"]),
    ("generate_reference_video", r2v(prompt="Image 1\x00 walks"), ["prompt", "control character"]),
    ("edit_video", edit(negative_prompt="\t\n"), ["negative_prompt", "white space"]),
    ("vace_edit", {**VACE_ARGS, "prompt": "a\x1bb"}, ["prompt", "control character"]),
    # --- get_task -------------------------------------------------------------------------------
    ("get_task", {"task_id": "abc"}, ["task_id"]),
    ("get_task", {"task_id": "openai:1234"}, ["task_id"]),
    ("get_task", {"task_id": "dashscope:1", "wait_seconds": -5}, ["wait_seconds"]),
    ("get_task", {}, ["task_id", "required"]),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
async def test_refused_before_any_request(
    client: Client, emulator: RunningEmulator, tool: str, arguments: dict[str, Any], expected: list[str]
) -> None:
    result = await client.call_tool(tool, arguments)

    assert result.is_error
    message = text_of(result)
    for fragment in expected:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    assert emulator.state.requests == [], "a refused call must not reach the provider"


async def test_explains_which_variable_to_set_when_a_provider_has_no_key(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = emulator_settings(emulator, tmp_path, modellix_api_key=None)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "modellix"})

    assert result.is_error
    assert "MODELLIX_API_KEY" in text_of(result)
    assert emulator.state.requests == []


async def test_with_no_keys_at_all_the_server_lists_tools_and_names_the_variables(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = emulator_settings(
        emulator,
        tmp_path,
        dashscope_api_key=None,
        apiyi_api_key=None,
        modellix_api_key=None,
        aimlapi_api_key=None,
    )
    async with Client(build_server(settings)) as client:
        tools = await client.list_tools()
        result = await client.call_tool("vace_edit", VACE_ARGS)

    assert len(tools.tools) == 6
    assert result.is_error
    assert "DASHSCOPE_API_KEY" in text_of(result) and "MODELLIX_API_KEY" in text_of(result)
    assert emulator.state.requests == []


@pytest.mark.parametrize("prompt", ["{}", '["Image 1 walks"]', '{"scene": "beach"}', "[Image 1] walks"])
async def test_a_prompt_that_looks_like_json_is_sent_as_the_text_it_is(
    client: Client, emulator: RunningEmulator, prompt: str
) -> None:
    for tool, arguments in (
        ("generate_reference_video", {**R2V_ARGS, "prompt": prompt, "negative_prompt": prompt}),
        ("vace_edit", {**VACE_ARGS, "prompt": prompt}),
    ):
        result = await client.call_tool(tool, {**arguments, "wait_seconds": 0})
        assert not result.is_error, text_of(result)
    r2v_body, vace_body = (request.body for request in emulator.state.of(call="submit"))
    assert r2v_body["input"]["prompt"] == prompt and r2v_body["input"]["negative_prompt"] == prompt
    assert vace_body["input"]["prompt"] == prompt


async def test_whole_numbers_written_as_floats_are_the_numbers_they_are(
    client: Client, emulator: RunningEmulator
) -> None:
    # JSON Schema counts 5.0 as an integer; some clients write numbers that way.
    result = await client.call_tool(
        "generate_reference_video", {**R2V_ARGS, "duration": 5.0, "seed": 7.0, "wait_seconds": 0}
    )

    assert not result.is_error, text_of(result)
    parameters = emulator.state.of(call="submit")[0].body["parameters"]
    assert parameters["duration"] == 5 and parameters["seed"] == 7
    assert isinstance(parameters["duration"], int) and isinstance(parameters["seed"], int)


async def test_an_upper_case_scheme_is_a_url_like_any_other(
    client: Client, emulator: RunningEmulator
) -> None:
    result = await client.call_tool(
        "edit_video", {**EDIT_ARGS, "video_url": "HTTPS://Example.com/In.mp4", "wait_seconds": 0}
    )

    assert not result.is_error, text_of(result)
    assert (
        emulator.state.of(call="submit")[0].body["input"]["media"][0]["url"] == "https://Example.com/In.mp4"
    )


async def test_lists_sent_as_json_text_are_accepted(client: Client, emulator: RunningEmulator) -> None:
    arguments = {**R2V_ARGS, "reference_images": '["https://example.com/a.png"]', "wait_seconds": 0}

    result = await client.call_tool("generate_reference_video", arguments)

    assert not result.is_error, text_of(result)
    media = emulator.state.of(call="submit")[0].body["input"]["media"]
    assert media == [{"type": "reference_image", "url": "https://example.com/a.png"}]
