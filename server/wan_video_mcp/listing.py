"""list_tasks: the tasks the journal knows, newest first, each in a line's worth of fields --
so a task whose handle the agent lost is found again, after a restart too."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from wan_video_mcp.deferred import DeferredModel
from wan_video_mcp.params import ListTasksArgs

if TYPE_CHECKING:  # the journal and the spending are the runtime's: not imported at start
    from wan_video_mcp.costs.spending import Spending
    from wan_video_mcp.journal import Journal, JournalRecord

PROMPT_EXCERPT = 120
# The journal's states behind each status a caller can ask for (a claim still being
# submitted reads as queued, or as submit_unknown once abandoned).
JOURNAL_STATES = {"queued": ("queued", "submitting"), "submit_unknown": ("submit_unknown", "submitting")}


class TaskSummary(DeferredModel):
    task_id: str | None = Field(description="Pass it to get_task; null when a submit's outcome is unknown.")
    status: str = Field(description="As last seen by this server; get_task refreshes it.")
    tool: str
    model: str
    provider: str
    prompt: str | None = Field(default=None, description="The start of the prompt.")
    submitted_at: datetime
    finished_at: datetime | None = None
    cost_estimate: float | None = None
    cost_actual: float | None = None
    currency: str
    local_file: str | None = Field(default=None, description="The saved video, when saved.")


class TaskList(DeferredModel):
    """structuredContent of list_tasks."""

    tasks: list[TaskSummary]
    more: bool = Field(description="True when more tasks match than `limit` returned.")
    spend: str = Field(description="What the jobs of today and of this month cost so far, and the caps.")


async def list_tasks(
    journal: Journal, spending: Spending, args: ListTasksArgs, viewer: str | None = None
) -> TaskList:
    states = JOURNAL_STATES.get(args.status, (args.status,)) if args.status else ()
    # A few more than asked: "submitting" rows may read as another status than asked for.
    records = await journal.listing(states, args.model, args.limit * 2 + 1, viewer)
    matching = [record for record in records if args.status in (None, record.status)]
    summaries = [_summary(record, spending) for record in matching[: args.limit]]
    spend = await spending.spend()
    return TaskList(tasks=summaries, more=len(matching) > args.limit, spend=spend.summary())


def _summary(record: JournalRecord, spending: Spending) -> TaskSummary:
    cost = spending.cost_of(record)
    prompt = record.params.get("prompt")
    return TaskSummary(
        task_id=record.handle,
        status=record.status,
        tool=record.tool,
        model=record.model,
        provider=record.provider,
        prompt=str(prompt)[:PROMPT_EXCERPT] if prompt else None,
        submitted_at=record.submitted_at,
        finished_at=record.finished_at,
        cost_estimate=cost.estimate if cost else None,
        cost_actual=cost.actual if cost else None,
        currency=spending.pricing.table.currency,
        local_file=record.local_file,
    )
