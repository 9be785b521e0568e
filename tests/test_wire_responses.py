"""Each provider's statuses map to the right task state, and its error bodies become
clear errors an agent can act on."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from conftest import R2V_ARGS, emulator_settings, text_of
from wan_video_mcp import service
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import (
    EmulatorOptions,
    EmulatorState,
    Fault,
    RunningEmulator,
    TaskScript,
    serve_emulator,
)
from wan_video_mcp.errors import ProviderAuthError, ProviderError, TaskNotFound
from wan_video_mcp.providers.base import HttpResponse
from wan_video_mcp.providers.registry import ProviderRegistry
from wan_video_mcp.settings import Settings
from wan_video_mcp.tasks import TaskState

pytestmark = pytest.mark.anyio

PROVIDERS = ["dashscope", "apiyi", "modellix", "aimlapi"]
LABELS = {"dashscope": "DashScope", "apiyi": "APIYI", "modellix": "Modellix", "aimlapi": "AI/ML API"}


def adapter(name: str) -> Any:
    keys = {f"{provider}_api_key": "k" for provider in PROVIDERS}
    # model_validate, not the constructor: no environment variable can leak in.
    return ProviderRegistry(Settings.model_validate(keys)).get(name)  # type: ignore[arg-type]


def response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(status, {}, json.dumps(body).encode())


STATUS_CASES: list[tuple[str, dict[str, Any], TaskState]] = [
    ("dashscope", {"output": {"task_status": "PENDING"}}, TaskState.QUEUED),
    ("dashscope", {"output": {"task_status": "RUNNING"}}, TaskState.RUNNING),
    (
        "dashscope",
        {"output": {"task_status": "SUCCEEDED", "video_url": "https://x/v.mp4"}},
        TaskState.SUCCEEDED,
    ),
    ("dashscope", {"output": {"task_status": "FAILED", "code": "X", "message": "y"}}, TaskState.FAILED),
    ("dashscope", {"output": {"task_status": "CANCELED"}}, TaskState.CANCELED),
    ("dashscope", {"output": {"task_status": "UNKNOWN"}}, TaskState.EXPIRED),
    ("apiyi", {"status": "submitted", "progress": 0}, TaskState.QUEUED),
    ("apiyi", {"status": "in_progress", "progress": 40}, TaskState.RUNNING),
    ("apiyi", {"status": "completed", "progress": 100, "result_url": "https://x/v.mp4"}, TaskState.SUCCEEDED),
    ("apiyi", {"status": "failed", "error": "boom"}, TaskState.FAILED),
    ("modellix", {"code": 0, "data": {"status": "pending"}}, TaskState.QUEUED),
    ("modellix", {"code": 0, "data": {"status": "processing"}}, TaskState.RUNNING),
    (
        "modellix",
        {
            "code": 0,
            "data": {
                "status": "success",
                "result": {"resources": [{"url": "https://x/v.mp4", "type": "video"}]},
            },
        },
        TaskState.SUCCEEDED,
    ),
    ("modellix", {"code": 0, "data": {"status": "failed"}}, TaskState.FAILED),
    (
        "modellix",
        {"code": 0, "data": {"status": "completed", "result": {"resources": [{"url": "https://x/v.mp4"}]}}},
        TaskState.SUCCEEDED,
    ),
    ("modellix", {"code": 0, "data": {"status": "canceled"}}, TaskState.CANCELED),
    ("aimlapi", {"id": "g", "status": "queued"}, TaskState.QUEUED),
    ("aimlapi", {"id": "g", "status": "generating"}, TaskState.RUNNING),
    ("aimlapi", {"id": "g", "status": "completed", "video": {"url": "https://x/v.mp4"}}, TaskState.SUCCEEDED),
    ("aimlapi", {"id": "g", "status": "error", "error": {"name": "E", "message": "m"}}, TaskState.FAILED),
    ("aimlapi", {"id": "g", "status": "failed"}, TaskState.FAILED),
]


@pytest.mark.parametrize(("provider", "body", "state"), STATUS_CASES)
def test_status_vocabulary_maps_to_one_task_state(
    provider: str, body: dict[str, Any], state: TaskState
) -> None:
    snapshot = adapter(provider).parse_poll(response(body))

    assert snapshot.state is state
    if state is TaskState.SUCCEEDED:
        assert snapshot.video_url == "https://x/v.mp4" and snapshot.video_expires_at is not None
    if state is TaskState.FAILED:
        assert snapshot.error_message


@pytest.mark.parametrize(
    ("provider", "body", "raw"),
    [
        ("dashscope", {"output": {"task_status": "PAUSED"}}, "PAUSED"),
        ("apiyi", {"status": "sleeping"}, "sleeping"),
        ("modellix", {"code": 0, "data": {"status": "thinking"}}, "thinking"),
        ("aimlapi", {"id": "g", "status": "dreaming"}, "dreaming"),
    ],
)
def test_an_unknown_status_is_an_error_naming_it(provider: str, body: dict[str, Any], raw: str) -> None:
    with pytest.raises(ProviderError) as caught:
        adapter(provider).parse_poll(response(body))

    assert repr(raw) in caught.value.message


def test_modellix_errors_wrapped_in_http_200_are_errors() -> None:
    with pytest.raises(TaskNotFound):
        adapter("modellix").parse_poll(response({"code": 404, "message": "Not found: task"}))
    with pytest.raises(ProviderAuthError):
        adapter("modellix").parse_poll(response({"code": 401, "message": "Authentication: bad key"}))


def test_modellix_failure_reason_in_the_envelope_is_read() -> None:
    body = {"code": 0, "message": "GPU quota exceeded", "data": {"status": "failed"}}
    assert adapter("modellix").parse_poll(response(body)).error_message == "GPU quota exceeded"


def test_apiyi_progress_percentage_is_kept() -> None:
    assert (
        adapter("apiyi").parse_poll(response({"status": "in_progress", "progress": 42})).progress_percent
        == 42
    )


def test_aimlapi_usage_is_recorded() -> None:
    body = {
        "id": "g",
        "status": "completed",
        "video": {"url": "https://x/v.mp4"},
        "meta": {"usage": {"credits_used": 2100, "usd_spent": 1.05}},
    }
    assert adapter("aimlapi").parse_poll(response(body)).usage == {"credits_used": 2100, "usd_spent": 1.05}


FAULT_EXPECTATIONS: dict[str, list[str]] = {
    "auth": ["refused the API key", "_API_KEY"],
    "balance": ["no balance or credits", "Top up"],
    "rate_limit": ["rate-limiting", "about 7 s", "Nothing was submitted"],
    "moderation": ["content moderation", "Change the prompt"],
    "invalid": ["rejected the request", "nothing was charged"],
    # A 5xx may follow a created job: not a refusal, an unknown outcome (never resubmitted).
    "server_error": ["HTTP 500", "does not prove the job was refused", "Do not resubmit"],
}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("kind", list(FAULT_EXPECTATIONS))
async def test_provider_error_bodies_become_clear_errors(
    client: Client, emulator: RunningEmulator, provider: str, kind: str
) -> None:
    emulator.state.inject(provider, "submit", Fault(kind, retry_after=7 if kind == "rate_limit" else None))  # type: ignore[arg-type]

    result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": provider})

    assert result.is_error
    message = text_of(result)
    assert LABELS[provider] in message
    for fragment in FAULT_EXPECTATIONS[kind]:
        assert fragment in message, f"{fragment!r} missing from {message!r}"
    assert emulator.state.count(provider, "submit") == 1, "a submit is never retried"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_failed_task_reports_the_providers_code_and_message(
    client: Client, emulator: RunningEmulator, provider: str
) -> None:
    emulator.state.script_next(
        TaskScript(
            queue_seconds=0.05,
            run_seconds=0.1,
            outcome="failed",
            error_code="InternalError.Algo",
            error_message="GPU fell over",
        )
    )

    result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": provider})

    assert result.is_error
    assert "GPU fell over" in text_of(result) and "failed" in text_of(result)
    assert "InternalError.Algo" in text_of(result)
    structured = result.structured_content or {}
    assert structured["status"] == "failed" and structured["error"] == {
        "code": "InternalError.Algo",
        "message": "GPU fell over",
    }


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (EmulatorOptions(modellix_failure_field="data.error"), "GPU fell over"),
        (EmulatorOptions(modellix_failure_field="data.message"), "GPU fell over"),
        (EmulatorOptions(modellix_failure_field="data.result.error"), "GPU fell over"),
        (EmulatorOptions(modellix_failure_field="none"), "without a reason"),
        (EmulatorOptions(apiyi_error_shape="string"), "GPU fell over"),
    ],
)
async def test_undocumented_failure_shapes_are_read(
    tmp_path: Path, options: EmulatorOptions, expected: str
) -> None:
    provider = "apiyi" if options.apiyi_error_shape == "string" else "modellix"
    state = EmulatorState(options)
    state.default_script = TaskScript(
        queue_seconds=0.05, run_seconds=0.1, outcome="failed", error_message="GPU fell over"
    )
    async with (
        serve_emulator(state) as emulator,
        Client(build_server(emulator_settings(emulator, tmp_path))) as client,
    ):
        result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": provider})

    assert result.is_error and expected in text_of(result)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_task_the_provider_forgot_is_reported_as_expired(
    client: Client, emulator: RunningEmulator, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The emulator's clock jumps a day; the journal's does not, so say the task is old.
    monkeypatch.setattr(service, "NOT_FOUND_GRACE", timedelta(0))
    submitted = await client.call_tool(
        "generate_reference_video", {**R2V_ARGS, "provider": provider, "wait_seconds": 0}
    )
    task_id = (submitted.structured_content or {})["task_id"]
    emulator.state.clock.advance(25 * 3600)

    result = await client.call_tool("get_task", {"task_id": task_id, "wait_seconds": 0})

    assert not result.is_error, "get_task answered; the task is what is gone"
    assert "not known to the provider any more" in text_of(result)
    assert (result.structured_content or {})["status"] == "expired"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_new_task_the_provider_does_not_list_yet_is_followed_not_dropped(
    client: Client, emulator: RunningEmulator, provider: str
) -> None:
    emulator.state.inject(provider, "poll", Fault("not_found"), times=2)

    result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": provider})

    assert not result.is_error, text_of(result)
    assert (result.structured_content or {})["status"] == "succeeded"


def test_key_verdicts() -> None:
    assert adapter("dashscope").key_verdict(response({"output": {"task_status": "UNKNOWN"}})).accepted
    assert adapter("apiyi").key_verdict(response({}, status=404)).accepted
    assert adapter("apiyi").key_verdict(response({}, status=400)).accepted
    assert not adapter("apiyi").key_verdict(response({}, status=401)).accepted
    assert not adapter("dashscope").key_verdict(response({"code": "InvalidApiKey"}, status=401)).accepted
    out_of_credits = adapter("aimlapi").key_verdict(response({"message": "no credits"}, status=403))
    assert out_of_credits.accepted and "out of credits" in out_of_credits.detail
    assert adapter("aimlapi").key_verdict(response({}, status=503)) is None


async def test_an_unknown_handle_for_dashscope_is_not_found(client: Client) -> None:
    result = await client.call_tool("get_task", {"task_id": "dashscope:does-not-exist", "wait_seconds": 0})

    assert "not known to the provider" in text_of(result)


async def test_a_key_rejected_while_polling_ends_the_wait_with_a_clear_error(
    client: Client, emulator: RunningEmulator
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=5, run_seconds=5))
    submitted = await client.call_tool(
        "edit_video", {"video_url": "https://x.example/v.mp4", "provider": "modellix", "wait_seconds": 0}
    )
    emulator.state.inject("modellix", "poll", Fault("auth"), times=50)  # a revoked key stays revoked

    result = await client.call_tool("get_task", {"task_id": (submitted.structured_content or {})["task_id"]})

    assert result.is_error and "MODELLIX_API_KEY" in text_of(result)


async def test_a_failed_job_fails_the_call_but_looking_it_up_does_not(
    client: Client, emulator: RunningEmulator
) -> None:
    # Agent frameworks turn an isError result into a retry of the same call: a generating
    # call whose job failed is an error; get_task answering "it failed" is its answer.
    emulator.state.script_next(
        TaskScript(queue_seconds=0.05, run_seconds=0.1, outcome="failed", error_message="GPU fell over")
    )
    made = await client.call_tool("generate_reference_video", R2V_ARGS)
    task_id = (made.structured_content or {})["task_id"]

    looked_up = await client.call_tool("get_task", {"task_id": task_id})

    assert made.is_error and (made.structured_content or {})["status"] == "failed"
    assert not looked_up.is_error and (looked_up.structured_content or {})["status"] == "failed"
    assert "GPU fell over" in text_of(looked_up) and "same arguments" in text_of(looked_up)
