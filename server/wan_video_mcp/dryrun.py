"""A dry run's answer: the provider a real call would use, what it would send, and what it would
cost -- with nothing uploaded, submitted or journaled."""

from __future__ import annotations

from wan_video_mcp.costs.budget import Spend
from wan_video_mcp.costs.model import Cost
from wan_video_mcp.inputs.files import LocalFile
from wan_video_mcp.journal import JournalRecord
from wan_video_mcp.params import GeneratingArgs
from wan_video_mcp.tasks import DryRun, TaskResult

DRY_RUN_NOTE = "Dry run: nothing was uploaded, submitted or charged. Call again without dry_run to submit."


def dry_run_result(  # noqa: PLR0917  (each fact is one the answer reports)
    provider: str,
    args: GeneratingArgs,
    files: list[LocalFile],
    cost: Cost,
    identical: JournalRecord | None,
    spend: Spend,
    notes: list[str],
) -> TaskResult:
    return TaskResult(
        task_id=None,
        status="dry_run",
        done=True,
        provider=provider,  # pyright: ignore[reportArgumentType]  # a registry adapter's name
        model=args.model,
        cost=cost,
        dry_run=DryRun(
            request=args.request_params(),
            local_files=[str(file.path) for file in files],
            identical_task=identical.handle if identical is not None else None,
        ),
        notes=[DRY_RUN_NOTE, *notes, *_what_a_real_call_meets(cost, identical, spend)],
    )


def _what_a_real_call_meets(cost: Cost, identical: JournalRecord | None, spend: Spend) -> list[str]:
    if identical is not None:
        return [
            f"A real call would return the identical task {identical.handle or '(still being submitted)'} "
            "instead of paying again (force_new=true submits a new, separately billed job)."
        ]
    left = spend.left()
    if left is not None and (cost.estimate or 0.0) > left:
        return [f"The budget would refuse it: {left:.2f} {spend.currency} left ({spend.summary()})."]
    return []
