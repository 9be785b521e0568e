"""Each provider's requests match its documents field by field: path, headers, body."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client

from conftest import EDIT_ARGS, emulator_settings, text_of
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import EmulatorOptions, EmulatorState, RunningEmulator, serve_emulator
from wan_video_mcp.emulator.state import OssObject, RecordedRequest
from wan_video_mcp.params import ReferenceVideoArgs
from wan_video_mcp.params.parsing import parse_arguments
from wan_video_mcp.providers.base import SubmitAccepted
from wan_video_mcp.providers.modellix import ModellixAdapter
from wan_video_mcp.providers.transport import ProviderTransport
from wan_video_mcp.settings import Settings

pytestmark = pytest.mark.anyio

A, B, V, F = (f"https://cdn.example.com/{name}" for name in ("a.png", "b.png", "v.mp4", "first.png"))
VOICE_A, VOICE_V = "https://cdn.example.com/voice-a.mp3", "https://cdn.example.com/voice-v.wav"
FULL_R2V: dict[str, Any] = {
    "prompt": "Image 1 and Video 1 dance; Image 2 watches",
    "reference_images": [A, B],
    "reference_videos": [V],
    "first_frame_image": F,
    "reference_voices": {"Image 1": VOICE_A, "Video 1": VOICE_V},
    "negative_prompt": "blurry",
    "resolution": "720P",
    "ratio": "9:16",
    "duration": 8,
    "prompt_extend": False,
    "watermark": True,
    "seed": 42,
}


async def submit(
    client: Client, emulator: RunningEmulator, tool: str, arguments: dict[str, Any]
) -> RecordedRequest:
    result = await client.call_tool(tool, {**arguments, "wait_seconds": 0})
    assert not result.is_error, text_of(result)
    submits = emulator.state.of(call="submit")
    assert len(submits) == 1
    return submits[0]


async def poll_once(client: Client, emulator: RunningEmulator, task_id: str) -> RecordedRequest:
    await client.call_tool("get_task", {"task_id": task_id, "wait_seconds": 0})
    return emulator.state.of(call="poll")[-1]


def assert_dashscope_headers(request: RecordedRequest, key: str) -> None:
    assert request.method == "POST"
    assert request.headers["authorization"] == f"Bearer {key}"
    assert request.headers["x-dashscope-async"] == "enable"
    assert request.headers["content-type"] == "application/json"


DASHSCOPE_R2V_BODY = {
    "model": "wan2.7-r2v",
    "input": {
        "prompt": FULL_R2V["prompt"],
        "negative_prompt": "blurry",
        "media": [
            {"type": "reference_image", "url": A, "reference_voice": VOICE_A},
            {"type": "reference_image", "url": B},
            {"type": "reference_video", "url": V, "reference_voice": VOICE_V},
            {"type": "first_frame", "url": F},
        ],
    },
    "parameters": {
        "resolution": "720P",
        "ratio": "9:16",
        "duration": 8,
        "prompt_extend": False,
        "watermark": True,
        "seed": 42,
    },
}


async def test_dashscope_r2v_every_parameter(client: Client, emulator: RunningEmulator) -> None:
    request = await submit(
        client, emulator, "generate_reference_video", {**FULL_R2V, "provider": "dashscope"}
    )

    assert request.path == "/dashscope/api/v1/services/aigc/video-generation/video-synthesis"
    assert_dashscope_headers(request, emulator.state.keys["dashscope"])
    assert request.body == DASHSCOPE_R2V_BODY


async def test_dashscope_r2v_defaults_are_sent_explicitly(client: Client, emulator: RunningEmulator) -> None:
    request = await submit(
        client, emulator, "generate_reference_video", {"prompt": "Image 1 waves", "reference_images": [A]}
    )

    assert request.body["parameters"] == {
        "resolution": "1080P",
        "ratio": "16:9",
        "duration": 5,
        "prompt_extend": True,
        "watermark": False,
    }


async def test_dashscope_poll_sends_only_the_key(client: Client, emulator: RunningEmulator) -> None:
    result = await client.call_tool("edit_video", {**EDIT_ARGS, "provider": "dashscope", "wait_seconds": 0})
    task_id = (result.structured_content or {})["task_id"]

    poll = await poll_once(client, emulator, task_id)

    assert poll.method == "GET"
    assert poll.path == f"/dashscope/api/v1/tasks/{task_id.split(':', 1)[1]}"
    assert poll.headers["authorization"] == f"Bearer {emulator.state.keys['dashscope']}"
    assert "x-dashscope-async" not in poll.headers


async def test_dashscope_videoedit(client: Client, emulator: RunningEmulator) -> None:
    arguments = {
        "video_url": V,
        "prompt": "clay style like Image 1",
        "reference_images": [A],
        "negative_prompt": "text",
        "ratio": "1:1",
        "duration": 4,
        "audio_setting": "origin",
        "seed": 7,
        "provider": "dashscope",
    }
    request = await submit(client, emulator, "edit_video", arguments)

    assert request.body == {
        "model": "wan2.7-videoedit",
        "input": {
            "prompt": "clay style like Image 1",
            "negative_prompt": "text",
            "media": [{"type": "video", "url": V}, {"type": "reference_image", "url": A}],
        },
        "parameters": {
            "resolution": "1080P",
            "ratio": "1:1",
            "duration": 4,
            "audio_setting": "origin",
            "prompt_extend": True,
            "watermark": False,
            "seed": 7,
        },
    }


async def test_dashscope_videoedit_keeps_the_input_ratio_unless_asked(
    client: Client, emulator: RunningEmulator
) -> None:
    request = await submit(client, emulator, "edit_video", {**EDIT_ARGS, "provider": "dashscope"})

    assert "ratio" not in request.body["parameters"]
    assert request.body["parameters"]["duration"] == 0


VACE_CASES: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    (
        {
            "function": "image_reference",
            "ref_images_url": [A, B],
            "obj_or_bg": ["obj", "bg"],
            "size": "960*960",
        },
        {"function": "image_reference", "ref_images_url": [A, B]},
        {"obj_or_bg": ["obj", "bg"], "size": "960*960"},
    ),
    (
        {
            "function": "video_repainting",
            "video_url": V,
            "control_condition": "depth",
            "strength": 0.6,
            "ref_images_url": [A],
        },
        {"function": "video_repainting", "video_url": V, "ref_images_url": [A]},
        {"control_condition": "depth", "strength": 0.6},
    ),
    (
        {
            "function": "video_edit",
            "video_url": V,
            "mask_image_url": A,
            "mask_type": "fixed",
            "expand_ratio": 0.1,
        },
        {"function": "video_edit", "video_url": V, "mask_image_url": A, "mask_frame_id": 1},
        {"mask_type": "fixed", "expand_ratio": 0.1},
    ),
    (
        {
            "function": "video_edit",
            "video_url": V,
            "mask_video_url": V,
            "expand_mode": "bbox",
            "control_condition": "posebody",
        },
        {"function": "video_edit", "video_url": V, "mask_video_url": V},
        {"expand_mode": "bbox", "control_condition": "posebody"},
    ),
    (
        {
            "function": "video_extension",
            "first_clip_url": V,
            "last_frame_url": F,
            "video_url": V,
            "control_condition": "scribble",
        },
        {"function": "video_extension", "first_clip_url": V, "last_frame_url": F, "video_url": V},
        {"control_condition": "scribble"},
    ),
    (
        {
            "function": "video_outpainting",
            "video_url": V,
            "left_scale": 1.5,
            "right_scale": 1.5,
            "prompt_extend": False,
            "seed": 3,
        },
        {"function": "video_outpainting", "video_url": V},
        {"left_scale": 1.5, "right_scale": 1.5, "prompt_extend": False, "seed": 3},
    ),
]


@pytest.mark.parametrize(("arguments", "expected_input", "expected_parameters"), VACE_CASES)
async def test_dashscope_vace_puts_each_field_where_the_document_says(
    client: Client,
    emulator: RunningEmulator,
    arguments: dict[str, Any],
    expected_input: dict[str, Any],
    expected_parameters: dict[str, Any],
) -> None:
    request = await submit(
        client, emulator, "vace_edit", {**arguments, "prompt": "do it", "provider": "dashscope"}
    )

    assert request.body == {
        "model": "wan2.1-vace-plus",
        "input": {**expected_input, "prompt": "do it"},
        "parameters": expected_parameters,
    }


@pytest.mark.parametrize(("region", "name"), [("cn", "wanx2.1-vace-plus"), ("intl", "wan2.1-vace-plus")])
async def test_each_dashscope_region_gets_its_own_vace_name(tmp_path: Path, region: str, name: str) -> None:
    # The emulated region accepts only its own name, as DashScope does.
    async with serve_emulator(EmulatorState(EmulatorOptions(dashscope_region=region))) as emulator:  # type: ignore[arg-type]
        settings = emulator_settings(emulator, tmp_path, dashscope_region=region)
        async with Client(build_server(settings)) as client:
            request = await submit(
                client, emulator, "vace_edit", {**VACE_CASES[0][0], "prompt": "x", "provider": "dashscope"}
            )

    assert request.body["model"] == name


async def test_apiyi_submits_the_dashscope_body(client: Client, emulator: RunningEmulator) -> None:
    request = await submit(client, emulator, "generate_reference_video", {**FULL_R2V, "provider": "apiyi"})

    assert request.path == "/apiyi/wan/api/v1/services/aigc/video-generation/video-synthesis"
    assert_dashscope_headers(request, emulator.state.keys["apiyi"])
    assert request.body == DASHSCOPE_R2V_BODY
    assert isinstance(request.body["parameters"]["duration"], int)


async def test_apiyi_polls_its_own_task_path(client: Client, emulator: RunningEmulator) -> None:
    result = await client.call_tool("edit_video", {**EDIT_ARGS, "provider": "apiyi", "wait_seconds": 0})
    task_id = (result.structured_content or {})["task_id"]

    poll = await poll_once(client, emulator, task_id)

    assert poll.path == f"/apiyi/v1/tasks/{task_id.split(':', 1)[1]}"
    assert poll.headers["authorization"] == f"Bearer {emulator.state.keys['apiyi']}"


async def test_apiyi_videoedit(client: Client, emulator: RunningEmulator) -> None:
    request = await submit(
        client, emulator, "edit_video", {**EDIT_ARGS, "reference_images": [A], "provider": "apiyi"}
    )

    assert request.body["model"] == "wan2.7-videoedit"
    assert request.body["input"]["media"] == [
        {"type": "video", "url": EDIT_ARGS["video_url"]},
        {"type": "reference_image", "url": A},
    ]


async def test_apiyi_vace_when_enabled(tmp_path: Path) -> None:
    state = EmulatorState(EmulatorOptions(apiyi_serves_vace=True))
    async with serve_emulator(state) as emulator:
        settings = emulator_settings(emulator, tmp_path, apiyi_enable_vace=True)
        async with Client(build_server(settings)) as client:
            request = await submit(
                client, emulator, "vace_edit", {**VACE_CASES[0][0], "prompt": "x", "provider": "apiyi"}
            )

    assert request.path == "/apiyi/wan/api/v1/services/aigc/video-generation/video-synthesis"
    assert request.body["model"] == "wan2.1-vace-plus"


async def test_apiyi_vace_enabled_but_not_served_explains_itself(tmp_path: Path) -> None:
    async with serve_emulator(EmulatorState(EmulatorOptions(apiyi_serves_vace=False))) as emulator:
        settings = emulator_settings(emulator, tmp_path, apiyi_enable_vace=True)
        async with Client(build_server(settings)) as client:
            result = await client.call_tool(
                "vace_edit", {**VACE_CASES[0][0], "prompt": "x", "provider": "apiyi"}
            )

    assert result.is_error
    assert "APIYI rejected the request" in text_of(result)


async def test_modellix_r2v_is_flat(client: Client, emulator: RunningEmulator) -> None:
    arguments = {
        key: value for key, value in FULL_R2V.items() if key not in ("reference_voices", "watermark")
    }
    request = await submit(
        client, emulator, "generate_reference_video", {**arguments, "provider": "modellix"}
    )

    assert request.path == "/modellix/api/v1/alibaba/wan2.7-r2v/async"
    assert request.headers["authorization"] == f"Bearer {emulator.state.keys['modellix']}"
    assert "x-dashscope-async" not in request.headers
    assert request.body == {
        "prompt": FULL_R2V["prompt"],
        "reference_images": [A, B],
        "reference_videos": [V],
        "first_frame_image": F,
        "negative_prompt": "blurry",
        "resolution": "720P",
        "ratio": "9:16",
        "duration": 8,
        "prompt_extend": False,
        "seed": 42,
    }


async def test_modellix_videoedit_sends_duration_only_when_chosen(
    client: Client, emulator: RunningEmulator
) -> None:
    request = await submit(client, emulator, "edit_video", {**EDIT_ARGS, "provider": "modellix"})

    assert request.path == "/modellix/api/v1/alibaba/wan2.7-videoedit/async"
    assert request.body == {
        "video_url": EDIT_ARGS["video_url"],
        "prompt": EDIT_ARGS["prompt"],
        "resolution": "1080P",
        "audio_setting": "auto",
        "prompt_extend": True,
    }


async def test_modellix_vace_is_flat(client: Client, emulator: RunningEmulator) -> None:
    arguments = {
        "function": "video_edit",
        "prompt": "x",
        "video_url": V,
        "mask_image_url": A,
        "mask_frame_id": 4,
    }
    request = await submit(client, emulator, "vace_edit", {**arguments, "provider": "modellix"})

    assert request.path == "/modellix/api/v1/alibaba/wan2.1-vace-plus/async"
    assert request.body == arguments


async def test_modellix_poll_path(client: Client, emulator: RunningEmulator) -> None:
    result = await client.call_tool("edit_video", {**EDIT_ARGS, "provider": "modellix", "wait_seconds": 0})
    task_id = (result.structured_content or {})["task_id"]

    poll = await poll_once(client, emulator, task_id)

    assert task_id.startswith("modellix:task-")
    assert poll.path == f"/modellix/api/v1/tasks/{task_id.split(':', 1)[1]}"


async def test_aimlapi_r2v_uses_its_own_names_and_values(client: Client, emulator: RunningEmulator) -> None:
    arguments = {**FULL_R2V, "duration": 10, "provider": "aimlapi"}
    del arguments["reference_voices"]
    request = await submit(client, emulator, "generate_reference_video", arguments)

    assert request.path == "/aimlapi/v2/video/generations"
    assert request.headers["authorization"] == f"Bearer {emulator.state.keys['aimlapi']}"
    assert request.body == {
        "model": "alibaba/wan-2-7-r2v",
        "prompt": FULL_R2V["prompt"],
        "image_urls": [A, B],
        "video_urls": [V],
        "first_frame_image": F,
        "aspect_ratio": "9:16",
        "resolution": "720p",
        "duration": 10,
        "enhance_prompt": False,
        "negative_prompt": "blurry",
        "seed": 42,
        "watermark": True,
    }


async def test_aimlapi_poll_uses_the_generation_id_query(client: Client, emulator: RunningEmulator) -> None:
    arguments = {"prompt": "Image 1 waves", "reference_images": [A], "provider": "aimlapi"}
    result = await client.call_tool("generate_reference_video", {**arguments, "wait_seconds": 0})
    task_id = (result.structured_content or {})["task_id"]

    poll = await poll_once(client, emulator, task_id)

    assert poll.path == "/aimlapi/v2/video/generations"
    assert poll.query == {"generation_id": task_id.split(":", 1)[1]}


@pytest.mark.parametrize("path_end", ["/async", ""])
async def test_modellix_bodies_are_accepted_on_the_documented_and_the_cli_path(
    emulator: RunningEmulator, settings: Settings, path_end: str
) -> None:
    # The documents post to .../{model}/async, the newest CLI to .../{model}: our body and
    # answer-reading must fit both (the emulator speaks both).
    adapter = ModellixAdapter(settings)
    args = parse_arguments(ReferenceVideoArgs, {"prompt": "x", "reference_images": [A], "seed": 3})
    request = adapter.submit_request(args)
    assert request.url.endswith("/api/v1/alibaba/wan2.7-r2v/async")
    request = replace(request, url=request.url.removesuffix("/async") + path_end)

    async with httpx2.AsyncClient() as http:
        response = await ProviderTransport(http, settings.redactor(), 10).send(request)

    answer = adapter.read_submit(response)
    assert isinstance(answer, SubmitAccepted) and answer.task_id.startswith("task-")
    assert emulator.state.of("modellix", "submit")[0].body == request.json


async def test_dashscope_oss_uploads_are_resolved_with_the_documented_header(
    client: Client, emulator: RunningEmulator
) -> None:
    # Uploaded elsewhere (say with the DashScope SDK) for this model, moments ago.
    upload = OssObject("wan2.7-r2v", emulator.state.clock.now(), b"\x89PNG\r\n\x1a\n")
    emulator.state.oss_objects["dashscope-instant/abc/ref.png"] = upload
    arguments = {
        "prompt": "Image 1 waves",
        "reference_images": ["oss://dashscope-instant/abc/ref.png"],
        "provider": "dashscope",
    }

    request = await submit(client, emulator, "generate_reference_video", arguments)

    assert request.headers["x-dashscope-ossresourceresolve"] == "enable"
    assert request.body["input"]["media"][0]["url"] == "oss://dashscope-instant/abc/ref.png"


async def test_plain_urls_do_not_ask_dashscope_to_resolve_oss(
    client: Client, emulator: RunningEmulator
) -> None:
    request = await submit(client, emulator, "edit_video", {**EDIT_ARGS, "provider": "dashscope"})

    assert "x-dashscope-ossresourceresolve" not in request.headers
