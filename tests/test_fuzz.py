"""Fuzzed arguments, drawn from the tools' own advertised input schemas (and then broken on
purpose), through the real MCP client: each call is either refused -- naming a field, with
not one provider request -- or submitted exactly once."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from mcp import Client

from conftest import FAST_SCRIPT, emulator_settings, text_of
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import EmulatorState, serve_emulator

GENERATING = ("generate_reference_video", "edit_video", "vace_edit")
JSON_VALUES = st.one_of(
    st.sampled_from(["5", "yes", "true", "off", "", "[]", "{}", "null"]),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
NAMED_FIELD = re.compile(r"`[a-z_]+(\[[^\]]*\])*`|Invalid argument `")


@dataclass
class Rig:
    portal: BlockingPortal
    client: Client
    state: EmulatorState
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict[str, dict[str, Any]])
    seen: set[str] = field(default_factory=set[str])

    def call(self, tool: str, arguments: dict[str, Any]) -> None:
        self.portal.call(self.check_one, tool, arguments)

    async def check_one(self, tool: str, arguments: dict[str, Any]) -> None:
        requests, submits = len(self.state.requests), self.state.count(call="submit")
        result = await self.client.call_tool(tool, arguments)
        structured = result.structured_content or {}
        if "status" not in structured:  # refused before anything was sent
            assert result.is_error, "a result without a task is an error"
            assert NAMED_FIELD.search(text_of(result)), f"no field named in {text_of(result)!r}"
            assert len(self.state.requests) == requests, f"a refused call reached a provider: {arguments}"
            return
        new = self.state.count(call="submit") - submits
        assert structured["status"] in ("queued", "running", "succeeded"), text_of(result)
        assert new == (0 if structured["reused"] else 1), f"{new} submissions for one call: {arguments}"


@asynccontextmanager
async def rig_parts(folder: Path) -> AsyncGenerator[tuple[Client, EmulatorState]]:
    state = EmulatorState()
    state.default_script = FAST_SCRIPT
    async with serve_emulator(state) as emulator:
        settings_ = emulator_settings(emulator, folder, download=False, sheet_frames=0)
        async with Client(build_server(settings_)) as client:
            yield client, state


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Generator[Rig]:
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(rig_parts(tmp_path_factory.mktemp("fuzz"))) as (client, state),
    ):
        rig = Rig(portal, client, state)
        for tool in portal.call(client.list_tools).tools:
            rig.schemas[tool.name] = tool.input_schema
        yield rig


def valid(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return from_schema(schema)  # pyright: ignore[reportReturnType]  (an object schema yields objects)


def with_value(pair: tuple[dict[str, Any], str, Any]) -> dict[str, Any]:
    arguments, name, value = pair
    return {**arguments, name: value}


def broken(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid arguments with one property given an arbitrary JSON value, or an unknown key added."""
    names = st.sampled_from([*sorted(schema["properties"]), "image_urls", "model", "x"])
    return st.tuples(valid(schema), names, JSON_VALUES).map(with_value)


def arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    # wait_seconds 0: the invariant is about submitting, not about waiting for the result.
    any_arguments = st.one_of(valid(schema), broken(schema))
    return st.tuples(any_arguments, st.just("wait_seconds"), st.just(0)).map(with_value)


@pytest.mark.parametrize("tool", GENERATING)
def test_fuzzed_arguments_are_refused_cleanly_or_submitted_once(rig: Rig, tool: str) -> None:
    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(arguments(rig.schemas[tool]))
    def check(args: dict[str, Any]) -> None:
        rig.call(tool, args)

    check()
