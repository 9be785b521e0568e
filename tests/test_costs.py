"""What a job costs, through the real MCP client against the emulator: a cost object in every
generating result (matching the shipped price table, null with a reason where nothing is
published), dry runs that send nothing, and budgets that refuse before anything is sent."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from conftest import EDIT_ARGS, NAMED, R2V_ARGS, VACE_ARGS, emulator_env, emulator_settings, text_of
from media import mp4, png
from test_check import run_check
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import RunningEmulator, TaskScript

pytestmark = pytest.mark.anyio

TABLE = json.loads(files("wan_video_mcp.costs").joinpath("prices.json").read_text())


def table_price(provider: str, model: str, resolution: str) -> float:
    """The shipped table's price, read here independently of the server's lookup."""
    [row] = [
        row
        for row in TABLE["prices"]
        if (row["provider"], row["model"], row["resolution"]) == (provider, model, resolution)
        and row.get("region") in (None, "intl")
    ]
    return row["per_second"]


def cost_of(result: Any) -> dict[str, Any]:
    return (result.structured_content or {})["cost"]


@pytest.mark.parametrize(
    ("provider", "resolution", "duration"), [("dashscope", "720P", 4), ("apiyi", "1080P", 7)]
)
async def test_a_priced_provider_s_result_carries_the_table_s_estimate_and_the_actual_charge(
    emulator: RunningEmulator, tmp_path: Path, provider: str, resolution: str, duration: int
) -> None:
    args = {**R2V_ARGS, "provider": provider, "resolution": resolution, "duration": duration}
    async with Client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        result = await client.call_tool("generate_reference_video", args)

    cost = cost_of(result)
    price = table_price(provider, "wan2.7-r2v", resolution)
    assert cost["estimate"] == pytest.approx(duration * price) and cost["currency"] == "USD"
    assert not cost["upper_bound"] and f"{duration} s x {resolution}" in cost["basis"]
    assert cost["price_read_on"] == "2026-11-29" and cost["price_source"]
    if provider == "dashscope":  # DashScope reports billed seconds and resolution: the actual charge
        usage = (result.structured_content or {})["usage"]
        assert cost["actual"] == pytest.approx(usage["duration"] * price)
    assert re.search(r"Cost: (about|[\d.]+ USD charged)", text_of(result)), "one short clause for the model"


async def test_providers_without_a_published_price_say_so_and_ai_ml_api_reports_its_charge(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with Client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        modellix = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "modellix"})
        aimlapi = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "aimlapi"})

    for result in (modellix, aimlapi):
        cost = cost_of(result)
        assert (
            cost["estimate"] is None
            and cost["basis"].startswith("No estimate:")
            and "publishes no" in cost["basis"]
        )
    assert cost_of(modellix)["actual"] is None
    spent = (aimlapi.structured_content or {})["usage"]["usd_spent"]
    assert cost_of(aimlapi)["actual"] == pytest.approx(spent), "the provider's own figure after the job"
    assert "Cost: no estimate" in text_of(modellix)


async def test_edit_and_vace_estimates_count_input_seconds_and_bound_what_is_unknown(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    clip = mp4(tmp_path / "clip.mp4", seconds=3.0)
    price = table_price("dashscope", "wan2.7-videoedit", "720P")
    async with Client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        local = await client.call_tool(
            "edit_video", {**EDIT_ARGS, "video_url": str(clip), "resolution": "720P", "dry_run": True}
        )
        remote = await client.call_tool("edit_video", {**EDIT_ARGS, "resolution": "720P", "dry_run": True})
        vace = await client.call_tool("vace_edit", {**VACE_ARGS, "dry_run": True})

    assert cost_of(local)["estimate"] == pytest.approx((3.0 + 3.0) * price), "3 s in + 3 s out"
    assert not cost_of(local)["upper_bound"]
    assert cost_of(remote)["upper_bound"] and cost_of(remote)["estimate"] == pytest.approx(20 * price)
    assert "at most" in text_of(remote), "an unknown input length gives a bound, said as one"
    assert cost_of(vace)["estimate"] == pytest.approx(
        5 * table_price("dashscope", "wan2.1-vace-plus", "720P")
    )
    assert not cost_of(vace)["upper_bound"], "VACE answers with 5 s"


async def test_a_dry_run_sends_nothing_and_picks_the_provider_a_real_call_picks(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    image = png(tmp_path / "hero.png")
    # The default provider cannot take a local file without a bucket: both calls pass it over.
    settings = emulator_settings(emulator, tmp_path, provider="apiyi")
    args = {**R2V_ARGS, "reference_images": [str(image)]}
    async with Client(build_server(settings), client_info=NAMED) as client:
        dry = await client.call_tool("generate_reference_video", {**args, "dry_run": True})
        requests_after_dry_run = list(emulator.state.requests)
        listed = await client.call_tool("list_tasks", {})
        real = await client.call_tool("generate_reference_video", args)
        again = await client.call_tool("generate_reference_video", {**args, "dry_run": True})

    structured = dry.structured_content or {}
    assert requests_after_dry_run == [], "no upload, no submit, nothing at all"
    assert structured["status"] == "dry_run" and structured["task_id"] is None and not dry.is_error
    assert structured["provider"] == (real.structured_content or {})["provider"] == "dashscope"
    assert structured["dry_run"]["request"]["prompt"] == R2V_ARGS["prompt"]
    assert structured["dry_run"]["local_files"] == [str(image)]
    assert structured["cost"]["estimate"] == pytest.approx(
        5 * table_price("dashscope", "wan2.7-r2v", "1080P")
    )
    assert (listed.structured_content or {})["tasks"] == [], "a dry run leaves no task behind"
    assert (again.structured_content or {})["dry_run"]["identical_task"] == (real.structured_content or {})[
        "task_id"
    ], "a dry run says when a real call would return an earlier task"


async def test_a_daily_budget_below_one_job_refuses_it_before_anything_is_sent(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = emulator_settings(emulator, tmp_path, daily_budget=0.5)
    async with Client(build_server(settings), client_info=NAMED) as client:
        refused = await client.call_tool("generate_reference_video", R2V_ARGS)

    message = text_of(refused)
    assert refused.is_error and emulator.state.requests == []
    assert "estimate is 0.75 USD" in message and "0.50 USD of the budget is left" in message
    assert "WAN_MCP_DAILY_BUDGET" in message


async def test_the_budget_counts_earlier_jobs_but_not_failed_ones_nor_a_reused_task(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = emulator_settings(emulator, tmp_path, monthly_budget=1.6)
    emulator.state.script_next(TaskScript(queue_seconds=0.1, run_seconds=0.2, outcome="failed"))
    async with Client(build_server(settings), client_info=NAMED) as client:
        failed = await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 1})
        first = await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 2})
        second = await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 3})
        third = await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 4})
        reused = await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 2})

    assert (failed.structured_content or {})["status"] == "failed", "a failed job costs nothing"
    assert not first.is_error and not second.is_error
    assert third.is_error and "only 0.10 USD of the budget is left" in text_of(third)
    assert (reused.structured_content or {})["reused"], "an identical call returns its task: nothing to spend"
    assert emulator.state.count(call="submit") == 3


async def test_under_a_budget_a_job_without_a_price_runs_and_says_it_was_not_weighed(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = emulator_settings(emulator, tmp_path, daily_budget=0.01)
    async with Client(build_server(settings), client_info=NAMED) as client:
        result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "modellix"})

    assert not result.is_error and "Not weighed against the budget" in text_of(result)


async def test_a_broken_price_file_stops_the_server_naming_the_entry(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(
        json.dumps({"prices": [{"provider": "dashscope", "model": "wan2.7-r2v", "per_second": -1}]})
    )
    env = {**emulator_env(emulator, tmp_path), "WAN_MCP_PRICES_FILE": str(prices)}

    done = await run_check(env)

    assert done.returncode == 2 and "WAN_MCP_PRICES_FILE" in done.stderr
    assert "prices.0.per_second" in done.stderr and "prices.0.resolution" in done.stderr, done.stderr


async def test_a_price_file_replaces_the_shipped_price(emulator: RunningEmulator, tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    row = {
        "provider": "dashscope",
        "model": "wan2.7-r2v",
        "resolution": "1080P",
        "per_second": 0.2,
        "source": "our contract",
        "read_on": "2026-11-30",
    }
    prices.write_text(json.dumps({"currency": "USD", "prices": [row]}))
    settings = emulator_settings(emulator, tmp_path, prices_file=prices)
    async with Client(build_server(settings), client_info=NAMED) as client:
        result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "dry_run": True})

    assert (
        cost_of(result)["estimate"] == pytest.approx(1.0)
        and "our contract" in cost_of(result)["price_source"]
    )


async def test_check_prints_what_was_spent(emulator: RunningEmulator, tmp_path: Path) -> None:
    settings = emulator_settings(emulator, tmp_path)
    async with Client(build_server(settings), client_info=NAMED) as client:
        await client.call_tool("generate_reference_video", {**R2V_ARGS, "duration": 4})
    env = {**emulator_env(emulator, tmp_path), "WAN_MCP_DAILY_BUDGET": "5"}

    done = await run_check(env)

    assert "today (UTC day): 0.60 of 5.00 USD" in done.stdout, done.stdout
    assert "this month: 0.60 USD, no cap" in done.stdout
