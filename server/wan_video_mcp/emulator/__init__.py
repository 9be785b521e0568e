"""An offline emulator of every provider's HTTP API, for tests and the demo.

It speaks each provider's wire format (paths, headers, bodies, statuses, error
bodies), walks tasks through their states on a controllable clock, serves a small
real MP4 from a fake CDN, and lets a test inject faults and pick the behaviours the
providers' documents leave open.
"""

from wan_video_mcp.emulator.server import RunningEmulator, serve_emulator
from wan_video_mcp.emulator.state import EmulatorClock, EmulatorOptions, EmulatorState, Fault, TaskScript

__all__ = [
    "EmulatorClock",
    "EmulatorOptions",
    "EmulatorState",
    "Fault",
    "RunningEmulator",
    "TaskScript",
    "serve_emulator",
]
