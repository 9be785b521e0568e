"""A hostile (or broken) provider and a hostile caller: malicious ids, odd statuses, redirects
to internal addresses, enormous answers. The promises hold: no lost handle, nothing paid
twice, no request where it must not go, a clear answer every time."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import uvicorn
from mcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from conftest import FAST_SCRIPT, R2V_ARGS, emulator_settings, text_of
from servers import free_port
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import (
    EmulatorOptions,
    EmulatorState,
    Fault,
    RunningEmulator,
    TaskScript,
    serve_emulator,
)
from wan_video_mcp.errors import DownloadError
from wan_video_mcp.linkguard import LinkGuard
from wan_video_mcp.providers.base import HttpResponse
from wan_video_mcp.providers.dashscope import DashScopeAdapter
from wan_video_mcp.providers.modellix import ModellixAdapter
from wan_video_mcp.settings import Settings

pytestmark = pytest.mark.anyio


def journal_rows(settings: Settings) -> list[sqlite3.Row]:
    db = sqlite3.connect(settings.journal_path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM tasks").fetchall()
    finally:
        db.close()


@pytest.mark.parametrize(
    ("provider", "task_id"),
    [
        ("dashscope", ""),
        ("dashscope", "../../x"),
        ("dashscope", "?x=1#"),
        ("apiyi", "a/b"),
        ("modellix", "task-\x00"),
        ("modellix", "x" * 300),
        ("aimlapi", "../../etc/passwd"),
        ("aimlapi", "id with spaces"),
    ],
)
async def test_a_malicious_id_in_a_submit_answer_is_an_unknown_outcome(
    client: Client, emulator: RunningEmulator, settings: Settings, provider: str, task_id: str
) -> None:
    emulator.state.next_task_id = task_id
    args = {**R2V_ARGS, "provider": provider}

    first = await client.call_tool("generate_reference_video", args)
    again = await client.call_tool("generate_reference_video", args)

    structured = first.structured_content or {}
    assert first.is_error and structured["status"] == "submit_unknown" and structured["task_id"] is None
    assert "unusable task id" in text_of(first) and "Nothing was sent or charged" not in text_of(first)
    assert (again.structured_content or {})["status"] == "submit_unknown"
    assert emulator.state.count(call="submit") == 1 and emulator.state.count(call="poll") == 0
    [row] = journal_rows(settings)
    assert row["state"] == "submit_unknown" and row["handle"] is None


@pytest.mark.parametrize(
    "handle",
    [
        "dashscope:?x=1#",
        "dashscope:../../etc/passwd",
        "dashscope:a\x00b",
        "dashscope:",
        "apiyi:a/b",
        "modellix:task abc",
        "aimlapi:../x",
        "dashscope:" + "x" * 400,
        "openai:abc",
        "\x00",
    ],
)
async def test_a_hostile_handle_is_refused_clearly_and_sends_nothing(
    client: Client, emulator: RunningEmulator, settings: Settings, handle: str
) -> None:
    result = await client.call_tool("get_task", {"task_id": handle})

    assert result.is_error and "task_id" in text_of(result)
    assert emulator.state.requests == [], "nothing reaches any provider"
    assert not settings.journal_path.exists() or journal_rows(settings) == []


async def test_the_widest_valid_ids_are_one_path_segment(client: Client, emulator: RunningEmulator) -> None:
    # AI/ML API ids may carry ':' and '/' (a query parameter); path ids never leave their segment.
    for handle in ("aimlapi:0385dc79-aaaa:alibaba/wan-2-7-r2v", "modellix:task-Abc_123"):
        result = await client.call_tool("get_task", {"task_id": handle, "wait_seconds": 0})
        assert "not known to the provider" in text_of(result)
    aiml, modellix = emulator.state.of(call="poll")
    assert aiml.query == {"generation_id": "0385dc79-aaaa:alibaba/wan-2-7-r2v"}
    assert modellix.path == "/modellix/api/v1/tasks/task-Abc_123"


@pytest.mark.parametrize("provider", ["dashscope", "apiyi", "modellix", "aimlapi"])
async def test_an_unknown_status_keeps_the_handle_and_says_how_to_go_on(
    tmp_path: Path, provider: str
) -> None:
    state = EmulatorState(EmulatorOptions(status_override="WEIRD_NEW_STATE"))
    state.default_script = FAST_SCRIPT
    async with (
        serve_emulator(state) as emulator,
        Client(build_server(emulator_settings(emulator, tmp_path))) as client,
    ):
        result = await client.call_tool(
            "generate_reference_video", {**R2V_ARGS, "provider": provider, "wait_seconds": 0.5}
        )
        later = await client.call_tool(
            "get_task", {"task_id": (result.structured_content or {})["task_id"], "wait_seconds": 0}
        )

    for answer in (result, later):
        structured = answer.structured_content or {}
        assert not answer.is_error, text_of(answer)
        assert structured["task_id"].startswith(f"{provider}:") and structured["done"] is False
        assert structured["provider_status"] == "WEIRD_NEW_STATE"
        assert structured["continue_with"]["arguments"] == {"task_id": structured["task_id"]}
        assert "WEIRD_NEW_STATE" in text_of(answer) and "may be fine" in text_of(answer)
        assert "call get_task with" in text_of(answer)


async def test_an_enormous_answer_is_cut_off_not_read_whole(
    client: Client, emulator: RunningEmulator
) -> None:
    emulator.state.inject("dashscope", "poll", Fault("huge"))
    emulator.state.inject("modellix", "submit", Fault("huge", after_create=True))

    followed = await client.call_tool("generate_reference_video", R2V_ARGS)
    unclear = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "modellix"})

    assert (followed.structured_content or {})["status"] == "succeeded", (
        "a huge poll answer is a passing fault"
    )
    assert (unclear.structured_content or {})["status"] == "submit_unknown"
    assert "larger than 4 MiB" in text_of(unclear)


class Witness:
    """An HTTP server standing in for an internal service: it must never be asked anything."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.port = free_port()

    async def serve(self, task_status: anyio.abc.TaskStatus[None]) -> None:
        async def secret(request: Request) -> PlainTextResponse:
            self.hits.append(request.url.path)
            return PlainTextResponse("internal secret")

        app = Starlette(routes=[Route("/{path:path}", secret)])
        server = uvicorn.Server(uvicorn.Config(app, port=self.port, log_level="critical", lifespan="off"))
        task_status.started()
        await server.serve()


@pytest.fixture
async def witness() -> AsyncIterator[Witness]:
    found = Witness()
    async with anyio.create_task_group() as tg:
        await tg.start(found.serve)
        await anyio.sleep(0.2)
        yield found
        tg.cancel_scope.cancel()


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/latest/meta-data",
        "http://localhost:{port}/admin",  # a name: judged by the address it resolves to
        "http://169.254.169.254/latest/meta-data/iam",
        "http://[::1]:{port}/x",
        "http://10.0.0.7/x",
        "file:///etc/passwd",
        "http://user:pw@example.com/x.mp4",
    ],
)
async def test_a_redirect_to_an_internal_address_is_not_followed(
    client: Client, emulator: RunningEmulator, witness: Witness, target: str
) -> None:
    emulator.state.inject("*", "download", Fault("redirect", location=target.format(port=witness.port)))

    result = await client.call_tool("generate_reference_video", R2V_ARGS)

    structured = result.structured_content or {}
    assert not result.is_error and structured["status"] == "succeeded" and structured["local_file"] is None
    assert "Saving the video failed" in text_of(result) and "was not f" in text_of(result)
    assert witness.hits == []


async def test_a_redirect_within_the_providers_origin_is_followed(
    client: Client, emulator: RunningEmulator
) -> None:
    emulator.state.inject("*", "download", Fault("redirect"))  # one CDN hop to the same link

    result = await client.call_tool("generate_reference_video", R2V_ARGS)

    structured = result.structured_content or {}
    assert Path(structured["local_file"]).read_bytes() == emulator.state.video
    hops = emulator.state.of(call="download")
    assert len(hops) == 2 and hops[1].query.get("hop") == "1"
    assert all("authorization" not in hop.headers for hop in hops)


async def test_redirects_are_bounded_and_never_step_down_to_plain_http() -> None:
    guard = LinkGuard(["http://127.0.0.1:9"])

    with pytest.raises(DownloadError, match="plain http"):
        guard.next_url("https://cdn.example.com/a.mp4", "http://cdn.example.com/a.mp4")
    assert guard.next_url("https://cdn.example.com/a/b.mp4", "../c.mp4") == "https://cdn.example.com/c.mp4"
    hop = await guard.hop("http://127.0.0.1:9/cdn/x.mp4")
    assert hop.url == "http://127.0.0.1:9/cdn/x.mp4" and hop.headers == {}, "a provider's origin as it is"
    pinned = await guard.hop("https://93.184.215.14/v.mp4")
    assert pinned.extensions == {"sni_hostname": "93.184.215.14"}


async def test_a_redirect_loop_ends(client: Client, emulator: RunningEmulator) -> None:
    emulator.state.inject("*", "download", Fault("redirect"), times=50)

    result = await client.call_tool("generate_reference_video", R2V_ARGS)

    assert "redirected more than 5 times" in text_of(result)
    assert emulator.state.count(call="download") == 6, "the first request and five redirects, then stop"


async def test_a_provider_answering_with_an_id_it_gave_before_never_breaks_the_call(
    client: Client, emulator: RunningEmulator, settings: Settings
) -> None:
    first = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})
    known = (first.structured_content or {})["task_id"].partition(":")[2]
    emulator.state.next_task_id = known  # a replayed id for a different request

    replayed = await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 9, "wait_seconds": 0})

    structured = replayed.structured_content or {}
    assert structured["status"] == "submit_unknown" and f"dashscope:{known}" in text_of(replayed)
    again = await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 9, "wait_seconds": 0})
    assert (again.structured_content or {})["status"] == "submit_unknown", "not 'still being submitted'"
    assert emulator.state.count(call="submit") == 2


async def test_a_task_looked_up_before_its_submit_was_answered_is_one_record(
    client: Client, emulator: RunningEmulator, settings: Settings
) -> None:
    # get_task on a handle adopts it; then the provider answers a submit with that very id.
    await client.call_tool("get_task", {"task_id": "dashscope:collide-1", "wait_seconds": 0})
    emulator.state.next_task_id = "collide-1"

    result = await client.call_tool("generate_reference_video", R2V_ARGS)

    structured = result.structured_content or {}
    assert structured["status"] == "succeeded" and structured["task_id"] == "dashscope:collide-1"
    assert [row["handle"] for row in journal_rows(settings)] == ["dashscope:collide-1"]


async def test_a_link_that_expires_past_any_calendar_is_no_crash(tmp_path: Path) -> None:
    state = EmulatorState(EmulatorOptions(result_ttl_seconds=1e20))  # Expires=1000000000000…
    state.default_script = FAST_SCRIPT
    async with (
        serve_emulator(state) as emulator,
        Client(build_server(emulator_settings(emulator, tmp_path))) as client,
    ):
        result = await client.call_tool("generate_reference_video", R2V_ARGS)
        again = await client.call_tool("get_task", {"task_id": (result.structured_content or {})["task_id"]})

    for answer in (result, again):
        structured = answer.structured_content or {}
        assert structured["status"] == "succeeded" and structured["video_expires_at"], text_of(answer)


async def test_a_finish_time_past_any_calendar_is_no_crash(settings: Settings) -> None:
    body = {
        "code": 0,
        "data": {
            "status": "success",
            "task_id": "task-1",
            "result": {
                "resources": [{"url": "https://cdn.example.com/v.mp4", "type": "video"}],
                "extensions": {"end_time": 1e20},
            },
        },
    }
    snapshot = ModellixAdapter(settings).parse_poll(HttpResponse(200, {}, json.dumps(body).encode()))

    assert snapshot.video_expires_at is not None and snapshot.video_expires_at.year < 3000


async def test_many_lookups_of_unknown_handles_at_once_are_all_answered(
    client: Client, settings: Settings
) -> None:
    answers: list[Any] = []

    async def look(number: int) -> None:
        answers.append(await client.call_tool("get_task", {"task_id": f"dashscope:typo-{number % 2}"}))

    async with anyio.create_task_group() as tg:
        for number in range(6):
            tg.start_soon(look, number)

    assert all((answer.structured_content or {}).get("status") == "expired" for answer in answers), [
        text_of(answer) for answer in answers
    ]
    assert journal_rows(settings) == []


@pytest.mark.parametrize(
    ("provider", "end_time"), [("dashscope", "9999-12-31 23:59:59.000"), ("modellix", "9999-12-31T23:59:59Z")]
)
async def test_a_finish_at_the_end_of_the_calendar_still_finishes(
    settings: Settings, provider: str, end_time: str
) -> None:
    if provider == "dashscope":
        body: dict[str, Any] = {
            "output": {
                "task_status": "SUCCEEDED",
                "video_url": "https://cdn.example.com/v.mp4",
                "end_time": end_time,
            }
        }
        adapter: Any = DashScopeAdapter(settings)
    else:
        result = {
            "resources": [{"url": "https://cdn.example.com/v.mp4", "type": "video"}],
            "extensions": {"end_time": end_time},
        }
        body = {"code": 0, "data": {"status": "success", "result": result}}
        adapter = ModellixAdapter(settings)

    snapshot = adapter.parse_poll(HttpResponse(200, {}, json.dumps(body).encode()))

    assert snapshot.state.value == "succeeded" and snapshot.video_expires_at is not None


async def test_a_typo_in_a_handle_leaves_no_record(client: Client, settings: Settings) -> None:
    result = await client.call_tool("get_task", {"task_id": "dashscope:no-such-task", "wait_seconds": 0})

    assert not result.is_error, "a lookup that finds nothing is an answer, not a failed call"
    assert (result.structured_content or {})["status"] == "expired"
    assert journal_rows(settings) == []
    recent = json.loads((await client.read_resource("wan://tasks/recent")).contents[0].text)  # type: ignore[union-attr]
    assert recent == []


async def test_a_look_at_an_unknown_handle_keeps_to_its_budget(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The provider leaves the question about a handle this journal has not seen (another
    replica's) unanswered: a one-shot look still answers, within its budget and grace, long
    before the HTTP timeout -- and keeps the handle to ask again."""
    settings = emulator_settings(emulator, tmp_path, http_timeout_seconds=30.0, linger_seconds=0.0)
    emulator.state.inject("dashscope", "poll", Fault("slow", delay=20.0), times=2)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool(
            "get_task", {"task_id": "dashscope:elsewhere", "wait_seconds": 0}, read_timeout_seconds=10
        )

    answer = result.structured_content or {}
    assert not result.is_error and answer["status"] in {"queued", "running"}, text_of(result)
    assert "timed out" in text_of(result)
    assert emulator.state.count("dashscope", "poll") == 1, "not asked again once the budget is spent"
    assert [row["handle"] for row in journal_rows(settings)] == ["dashscope:elsewhere"]


async def test_another_replicas_handle_is_asked_about_once(emulator: RunningEmulator, tmp_path: Path) -> None:
    """Handles this journal has not seen, running and finished: the first question's answer is
    the news (the running job's state, the finished job's video); no second query follows it."""
    state = emulator.state
    state.script_next(TaskScript(queue_seconds=0.0, run_seconds=60.0))
    async with Client(build_server(emulator_settings(emulator, tmp_path / "a"))) as elsewhere:
        running = await elsewhere.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})
        done = await elsewhere.call_tool("generate_reference_video", {**R2V_ARGS, "prompt": "Image 1 bows"})
    handles = [(result.structured_content or {})["task_id"] for result in (running, done)]
    assert (done.structured_content or {})["status"] == "succeeded"
    settings = emulator_settings(emulator, tmp_path / "b", linger_seconds=0.0)

    looks: list[dict[str, Any]] = []
    async with Client(build_server(settings)) as client:
        for handle, wait in zip(handles, (0, 5), strict=True):
            before = state.count("dashscope", "poll")
            looked = await client.call_tool("get_task", {"task_id": handle, "wait_seconds": wait})
            looks.append(
                {**(looked.structured_content or {}), "queries": state.count("dashscope", "poll") - before}
            )

    assert [(look["status"], look["queries"]) for look in looks] == [("running", 1), ("succeeded", 1)]
    assert looks[1]["local_file"] and Path(looks[1]["local_file"]).is_file()
    assert sorted(row["handle"] for row in journal_rows(settings)) == sorted(handles)


async def test_handles_are_read_kindly_and_explained_when_wrong(
    client: Client, emulator: RunningEmulator
) -> None:
    made = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})
    task_id = (made.structured_content or {})["task_id"]

    kind = await client.call_tool(
        "get_task", {"task_id": f"  DashScope:{task_id.partition(':')[2]} ", "wait_seconds": 0}
    )
    wrong = await client.call_tool("get_task", {"task_id": "aimlapi:a b"})

    assert not kind.is_error and (kind.structured_content or {})["task_id"] == task_id
    assert "'.' ':' '/'" in text_of(wrong) and "256" in text_of(wrong)


async def test_an_unknown_task_resource_explains_itself(client: Client) -> None:
    with pytest.raises(Exception, match="wan://tasks/recent"):
        await client.read_resource("wan://tasks/dashscope/nothing-here")


async def test_the_journal_records_what_a_hostile_run_left(client: Client, settings: Settings) -> None:
    await client.call_tool("get_task", {"task_id": "dashscope:../../x"})
    result = await client.call_tool("generate_reference_video", R2V_ARGS)
    recent = json.loads((await client.read_resource("wan://tasks/recent")).contents[0].text)  # type: ignore[union-attr]

    assert [entry["task_id"] for entry in recent] == [(result.structured_content or {})["task_id"]]
    assert len(journal_rows(settings)) == 1
