"""What `serve` imports before it can answer `tools/list`: the tool definitions, not the runtime.
(How long start-up takes is measured by benchmarks/startup.py, never asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys

# The runtime's modules: imported on first use (lifetime.py), never on the way to tools/list.
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
