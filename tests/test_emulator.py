"""The emulator is at least as strict as the providers' documents: a body the documents
forbid is refused (and creates no task), so a mistake in our bodies cannot pass unseen."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from wan_video_mcp.emulator import EmulatorOptions, EmulatorState, Fault, RunningEmulator, serve_emulator

pytestmark = pytest.mark.anyio
IMG, VID = "https://cdn.example.com/a.png", "https://cdn.example.com/v.mp4"
DASHSCOPE_SUBMIT = "/dashscope/api/v1/services/aigc/video-generation/video-synthesis"


def vace(function: str, input_: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "model": "wan2.1-vace-plus",
        "input": {"function": function, "prompt": "x", **input_},
        "parameters": parameters or {},
    }


FORBIDDEN_VACE = [
    vace("image_reference", {"ref_images_url": [IMG, IMG]}, {"obj_or_bg": ["bg", "bg"]}),
    vace(
        "video_repainting",
        {"video_url": VID, "ref_images_url": [IMG, IMG, IMG]},
        {"control_condition": "depth"},
    ),
    vace("image_reference", {"ref_images_url": [IMG]}, {"strength": 0.5}),
    vace("video_repainting", {"video_url": VID}, {"control_condition": "depth", "top_scale": 1.5}),
    vace("video_edit", {"video_url": VID, "mask_video_url": VID, "mask_frame_id": 2}),
    vace("video_repainting", {"video_url": VID}, {"control_condition": ""}),
    vace("video_edit", {"video_url": VID, "mask_image_url": IMG, "mask_video_url": VID}),
    vace("video_outpainting", {"video_url": VID, "ref_images_url": [IMG]}, {"top_scale": 1.5}),
    {**vace("image_reference", {"ref_images_url": [IMG]}), "model": "wanx2.1-vace-plus"},  # Beijing's name
]
FORBIDDEN_AIMLAPI = [
    {"image_urls": [IMG] * 5, "video_urls": [VID] * 5},
    {"video_urls": [VID], "duration": 15},
    {},
    {"image_urls": [IMG], "duration": 7},
]


async def post(emulator: RunningEmulator, provider: str, path: str, body: dict[str, Any]) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {emulator.state.keys[provider]}", "X-DashScope-Async": "enable"}  # type: ignore[index]
    async with httpx2.AsyncClient() as http:
        return await http.post(emulator.origin + path, headers=headers, json=body)


@pytest.mark.parametrize("body", FORBIDDEN_VACE)
async def test_dashscope_refuses_what_the_vace_document_forbids(
    emulator: RunningEmulator, body: dict[str, Any]
) -> None:
    response = await post(emulator, "dashscope", DASHSCOPE_SUBMIT, body)

    assert response.status_code == 400 and response.json()["code"] == "InvalidParameter"
    assert emulator.state.tasks == {}


async def test_the_beijing_region_knows_only_the_older_vace_name() -> None:
    async with serve_emulator(EmulatorState(EmulatorOptions(dashscope_region="cn"))) as emulator:
        new_name = await post(
            emulator, "dashscope", DASHSCOPE_SUBMIT, vace("image_reference", {"ref_images_url": [IMG]})
        )
        old_name = await post(
            emulator,
            "dashscope",
            DASHSCOPE_SUBMIT,
            {**vace("image_reference", {"ref_images_url": [IMG]}), "model": "wanx2.1-vace-plus"},
        )

    assert new_name.status_code == 400 and old_name.status_code == 200


@pytest.mark.parametrize("media", FORBIDDEN_AIMLAPI)
async def test_aimlapi_refuses_what_the_r2v_document_forbids(
    emulator: RunningEmulator, media: dict[str, Any]
) -> None:
    body = {"model": "alibaba/wan-2-7-r2v", "prompt": "x", **media}

    response = await post(emulator, "aimlapi", "/aimlapi/v2/video/generations", body)

    assert response.status_code == 400 and emulator.state.tasks == {}


async def test_modellix_rate_limits_carry_the_documented_reset_header(emulator: RunningEmulator) -> None:
    emulator.state.inject("modellix", "submit", Fault("rate_limit", retry_after=7))
    response = await post(emulator, "modellix", "/modellix/api/v1/alibaba/wan2.7-r2v/async", {"prompt": "x"})

    assert response.status_code == 429 and response.headers["x-ratelimit-reset"] == "7"
    assert "retry-after" not in response.headers, "Retry-After is a switch, not the default"
