"""The inline player: an MCP Apps view (`io.modelcontextprotocol/ui`) hosts render beside
a result -- the video, its contact sheet, or the job's progress with a "Keep waiting"
button that calls `get_task`. Clients without Apps see the same results as before: the
tools only gain `_meta.ui.resourceUri`, and the view is one more resource."""

from wan_video_mcp.player.view import PLAYER_URI, player_extension, tool_meta

__all__ = ["PLAYER_URI", "player_extension", "tool_meta"]
