"""What `serve` imports before it can answer `tools/list`: the tool definitions, not the runtime.
(How long start-up takes is measured by benchmarks/startup.py, never asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys

# The runtime's modules: imported on first use (lifetime.py), never on the way to tools/list
# (the provider adapters too: what each offers is providers/catalogue.py's).
RUNTIME = (
    "wan_video_mcp.runtime",
    "wan_video_mcp.service",
    "wan_video_mcp.calls",
    "wan_video_mcp.journal",
    "wan_video_mcp.downloads",
    "wan_video_mcp.staging",
    "wan_video_mcp.preview",
    "wan_video_mcp.submitting",
    "wan_video_mcp.waiting",
    "wan_video_mcp.tasking.jobs",
    "wan_video_mcp.toolcalls",
    "wan_video_mcp.results",
    "wan_video_mcp.inputs",
    "wan_video_mcp.costs.pricing",
    "wan_video_mcp.providers.base",
    "wan_video_mcp.providers.dashscope",
    "wan_video_mcp.providers.apiyi",
    "wan_video_mcp.providers.modellix",
    "wan_video_mcp.providers.aimlapi",
    "wan_video_mcp.providers.transport",
    "sqlite3",
    "av",
    "PIL",
)

LISTED = """
import json, sys
from wan_video_mcp.app import build_server
from wan_video_mcp.settings import Settings
server = build_server(Settings(dashscope_api_key="sk-not-used"))
print(json.dumps(sorted(sys.modules)))
"""


def test_building_the_server_imports_none_of_the_runtime() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LISTED], capture_output=True, text=True, timeout=60, check=True
    )
    imported = set(json.loads(done.stdout))

    assert "wan_video_mcp.params" in imported and "wan_video_mcp.tasking" in imported, "the definitions are"
    assert sorted(name for name in RUNTIME if name in imported) == []


DEFERRED = """
import json, sys
from wan_video_mcp.app import build_server
from wan_video_mcp.params import ReferenceVideoArgs
from wan_video_mcp.settings import Settings
from wan_video_mcp.tasks import TaskResult
server = build_server(Settings(dashscope_api_key="sk-not-used"))
print(json.dumps([ReferenceVideoArgs.__pydantic_complete__, TaskResult.__pydantic_complete__]))
"""


def test_the_models_validators_are_built_after_start_up() -> None:
    done = subprocess.run(
        [sys.executable, "-c", DEFERRED], capture_output=True, text=True, timeout=60, check=True
    )

    # The schemas come from params/schemas.json; the validators are built at warm-up or first use.
    assert json.loads(done.stdout) == [False, False]


WARMED = """
import json
from wan_video_mcp.app import build_server
from wan_video_mcp.deferred import DeferredModel, build_deferred_models
from wan_video_mcp.settings import Settings
build_server(Settings(dashscope_api_key="sk-not-used"))
build_deferred_models()
def every(model):
    for sub in model.__subclasses__():
        yield sub
        yield from every(sub)
print(json.dumps({m.__name__: m.__pydantic_complete__ for m in every(DeferredModel)}))
"""


def test_warming_up_builds_every_deferred_model() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WARMED], capture_output=True, text=True, timeout=60, check=True
    )
    built = json.loads(done.stdout)

    assert {"ReferenceVideoArgs", "VaceEditArgs", "TaskResult", "TaskList", "Cost"} <= set(built)
    assert [name for name, complete in built.items() if not complete] == []


FROZEN = """
import gc
from wan_video_mcp import cli
from wan_video_mcp.settings import Settings

async def report() -> None:
    print(gc.get_freeze_count())

cli._serve(Settings(dashscope_api_key="sk-not-used"), report)
"""


def test_serve_leaves_what_start_up_made_out_of_the_cyclic_collectors_walks() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FROZEN], capture_output=True, text=True, timeout=60, check=True
    )
    assert int(done.stdout) > 10_000
