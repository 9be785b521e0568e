"""tools/list: four tools whose schemas mirror each model's parameters exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import Client

pytestmark = pytest.mark.anyio

OPTIONS = {"provider", "wait_seconds", "force_new", "dry_run"}
R2V_PARAMS = {
    "prompt",
    "reference_images",
    "reference_videos",
    "first_frame_image",
    "reference_voices",
    "negative_prompt",
    "resolution",
    "ratio",
    "duration",
    "prompt_extend",
    "seed",
    "watermark",
}
EDIT_PARAMS = {
    "video_url",
    "prompt",
    "reference_images",
    "negative_prompt",
    "resolution",
    "ratio",
    "duration",
    "audio_setting",
    "prompt_extend",
    "seed",
    "watermark",
}
VACE_PARAMS = {
    "function",
    "prompt",
    "ref_images_url",
    "obj_or_bg",
    "video_url",
    "control_condition",
    "strength",
    "mask_image_url",
    "mask_video_url",
    "mask_frame_id",
    "mask_type",
    "expand_ratio",
    "expand_mode",
    "first_frame_url",
    "last_frame_url",
    "first_clip_url",
    "last_clip_url",
    "top_scale",
    "bottom_scale",
    "left_scale",
    "right_scale",
    "size",
    "prompt_extend",
    "seed",
}
RATIOS = ["16:9", "9:16", "1:1", "4:3", "3:4"]


async def tools_by_name(client: Client) -> dict[str, Any]:
    return {tool.name: tool for tool in (await client.list_tools()).tools}


async def test_exactly_the_six_tools(client: Client) -> None:
    assert set(await tools_by_name(client)) == {
        "generate_reference_video",
        "edit_video",
        "vace_edit",
        "get_task",
        "cancel_task",
        "list_tasks",
    }


async def test_r2v_schema_mirrors_wan27_r2v(client: Client) -> None:
    schema = (await tools_by_name(client))["generate_reference_video"].input_schema
    props = schema["properties"]

    assert set(props) == R2V_PARAMS | OPTIONS
    assert schema["required"] == ["prompt"]
    assert schema["additionalProperties"] is False
    assert props["prompt"] | {"description": ""} == {
        "type": "string",
        "minLength": 1,
        "maxLength": 5000,
        "description": "",
    }
    assert props["resolution"]["enum"] == ["720P", "1080P"] and props["resolution"]["default"] == "1080P"
    assert props["ratio"]["enum"] == RATIOS and props["ratio"]["default"] == "16:9"
    assert (props["duration"]["minimum"], props["duration"]["maximum"], props["duration"]["default"]) == (
        2,
        15,
        5,
    )
    assert props["prompt_extend"]["default"] is True and props["watermark"]["default"] is False
    assert (props["seed"]["minimum"], props["seed"]["maximum"]) == (0, 2147483647)
    assert props["negative_prompt"]["maxLength"] == 500
    assert props["reference_images"]["maxItems"] == 5 and props["reference_videos"]["maxItems"] == 5
    # A URL or a local file's path: not `format: uri` (clients may refuse a path before sending).
    assert "format" not in props["reference_images"]["items"]
    assert "absolute path" in props["reference_images"]["items"]["description"]
    assert "^(Image|Video) [1-5]$" in props["reference_voices"]["patternProperties"]
    assert '"Image 1"' in props["prompt"]["description"] and '"Video 1"' in props["prompt"]["description"]
    assert props["provider"]["enum"] == ["dashscope", "apiyi", "modellix", "aimlapi"]


async def test_videoedit_schema_mirrors_wan27_videoedit(client: Client) -> None:
    schema = (await tools_by_name(client))["edit_video"].input_schema
    props = schema["properties"]

    assert set(props) == EDIT_PARAMS | OPTIONS
    assert schema["required"] == ["video_url"]
    assert props["duration"]["enum"] == [0, 2, 3, 4, 5, 6, 7, 8, 9, 10] and props["duration"]["default"] == 0
    assert (
        props["audio_setting"]["enum"] == ["auto", "origin"] and props["audio_setting"]["default"] == "auto"
    )
    assert props["reference_images"]["maxItems"] == 4
    assert props["ratio"]["enum"] == RATIOS and "default" not in props["ratio"]
    assert props["provider"]["enum"] == ["dashscope", "apiyi", "modellix"]  # AI/ML API has no videoedit


async def test_vace_schema_mirrors_wan21_vace_plus(client: Client) -> None:
    schema = (await tools_by_name(client))["vace_edit"].input_schema
    props = schema["properties"]

    assert set(props) == VACE_PARAMS | OPTIONS
    assert sorted(schema["required"]) == ["function", "prompt"]
    assert props["function"]["enum"] == [
        "image_reference",
        "video_repainting",
        "video_edit",
        "video_extension",
        "video_outpainting",
    ]
    assert props["prompt"]["maxLength"] == 800
    assert props["control_condition"]["enum"] == ["posebodyface", "posebody", "depth", "scribble"]
    assert props["size"]["enum"] == ["1280*720", "720*1280", "960*960", "832*1088", "1088*832"]
    assert props["size"]["default"] == "1280*720"
    assert (props["strength"]["minimum"], props["strength"]["maximum"], props["strength"]["default"]) == (
        0,
        1,
        1.0,
    )
    assert props["expand_ratio"]["default"] == 0.05 and props["expand_mode"]["default"] == "hull"
    assert props["mask_type"]["enum"] == ["tracking", "fixed"] and props["mask_frame_id"]["minimum"] == 1
    for side in ("top", "bottom", "left", "right"):
        scale = props[f"{side}_scale"]
        assert (scale["minimum"], scale["maximum"], scale["default"]) == (1.0, 2.0, 1.0)
    assert props["obj_or_bg"]["items"]["enum"] == ["obj", "bg"]
    assert props["provider"]["enum"] == ["dashscope", "modellix"]


async def test_get_task_schema(client: Client) -> None:
    tool = (await tools_by_name(client))["get_task"]

    assert set(tool.input_schema["properties"]) == {"task_id", "wait_seconds"}
    assert tool.input_schema["required"] == ["task_id"]
    assert tool.annotations.read_only_hint is True


async def test_every_tool_declares_an_output_schema(client: Client) -> None:
    tools = await tools_by_name(client)
    for tool in tools.values():
        output = tool.output_schema
        assert output is not None and output["type"] == "object", tool.name
        if tool.name == "list_tasks":
            assert set(output["properties"]) == {"tasks", "more", "spend"}
            continue
        assert {
            "task_id",
            "status",
            "provider",
            "model",
            "video_url",
            "local_file",
            "usage",
            "error",
            "cost",
        } <= set(output["properties"])


async def test_generating_tools_are_honestly_annotated(client: Client) -> None:
    tools = await tools_by_name(client)
    for name in ("generate_reference_video", "edit_video", "vace_edit"):
        hints = tools[name].annotations
        assert hints.read_only_hint is False
        assert hints.idempotent_hint is False
        assert hints.open_world_hint is True
        assert hints.destructive_hint is False


async def test_descriptions_are_written_for_a_model(client: Client) -> None:
    tools = await tools_by_name(client)
    for name in ("generate_reference_video", "edit_video", "vace_edit"):
        description = tools[name].description
        assert "get_task" in description and "1-10 minutes" in description
        for prop_name, prop in tools[name].input_schema["properties"].items():
            assert prop.get("description"), f"{name}.{prop_name} has no description"


async def test_the_result_schema_is_compact_and_still_exact(client: Client) -> None:
    """The output schema keeps structure only (it is repeated on five tools), and that structure
    still accepts a result with every part set and refuses a wrong one."""
    tools = await tools_by_name(client)
    schema = tools["get_task"].output_schema
    assert schema is not None
    written = json.dumps(schema)
    assert all(noise not in written for noise in ('"title"', '"description"', "$ref", "$defs", '"default"'))
    full = _every_part_set()
    Draft202012Validator(schema).validate(full)
    for wrong in (
        {**full, "status": "finished"},
        {**full, "cost": {"currency": "USD"}},
        {**full, "done": None},
    ):
        assert not Draft202012Validator(schema).is_valid(wrong)


def _every_part_set() -> dict[str, Any]:
    when = "2026-11-30T10:00:00Z"
    return {
        "task_id": "dashscope:abc",
        "status": "succeeded",
        "done": True,
        "provider": "dashscope",
        "model": "wan2.7-r2v",
        "video_url": "https://example.com/v.mp4",
        "video_expires_at": when,
        "local_file": "/videos/v.mp4",
        "progress_percent": None,
        "usage": {"duration": 5},
        "error": {"code": None, "message": "fine"},
        "continue_with": {"tool": "get_task", "arguments": {"task_id": "dashscope:abc"}, "after_seconds": 30},
        "video": {"duration_seconds": 5.0, "width": 1920, "height": 1080, "fps": 30.0, "size_bytes": 10},
        "uploads": [
            {"parameter": "p", "file": "/a.png", "sha256": "0", "method": "bucket", "location": "s3://b/k"}
        ],
        "cost": {
            "estimate": 0.75,
            "currency": "USD",
            "basis": "5 s",
            "actual": 0.75,
            "actual_reported": True,
        },
        "dry_run": {"request": {"prompt": "x"}, "local_files": [], "identical_task": None},
        "cancel": {"outcome": "refused", "message": "running"},
        "notes": ["n"],
    }
