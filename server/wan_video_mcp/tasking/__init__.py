"""MCP tasks: the protocol's own way to run a long tool call. A task-augmented call to a
generating tool (or get_task) submits (or looks up) without waiting and answers with a task
whose id is the durable handle, so any replica, after any restart, answers for it from the
journal and the provider.

Both protocol generations the SDK speaks: 2025-11-25's core tasks (legacy.py: a middleware
for the capability, `execution.taskSupport` and the augmented `tools/call`) and 2026-07-28's
extension `io.modelcontextprotocol/tasks` (extension.py, which also serves the `tasks/*`
methods of both). jobs.py is what they share: our tasks seen as MCP tasks."""

from wan_video_mcp.tasking.extension import TasksExtension
from wan_video_mcp.tasking.legacy import legacy_tasks
from wan_video_mcp.tasking.memory import TaskMemory

__all__ = ["TaskMemory", "TasksExtension", "legacy_tasks"]
