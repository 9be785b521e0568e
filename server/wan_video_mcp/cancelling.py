"""cancel_task: stop a job at the provider where it allows that, and say plainly where it does
not. The task's state is read fresh first (and journaled); a cancel the provider accepts is
confirmed by the next status query, which journals the task as canceled."""

from __future__ import annotations

import json
from typing import cast

from wan_video_mcp.errors import ProviderUnavailable
from wan_video_mcp.providers.base import HttpResponse, ProviderAdapter
from wan_video_mcp.providers.transport import ProviderTransport, RequestNotSent, RequestOutcomeUnknown
from wan_video_mcp.service import VideoService
from wan_video_mcp.tasks import CancelOutcome, TaskResult


class Canceller:
    def __init__(self, service: VideoService, transport: ProviderTransport) -> None:
        self._service = service
        self._transport = transport

    async def cancel(self, task_id: str, caller: str | None = None) -> TaskResult:
        current = await self._service.get_task(task_id, 0.0, None, caller)  # fresh state, journaled
        handle = self._service.registry.handle(task_id)
        adapter = self._service.registry.get(handle.provider)
        if current.done:
            return _with(current, "already_finished", _finished(current))
        request = adapter.cancel_request(handle.task_id)
        if request is None:
            return _with(current, "not_supported", _cannot(adapter, current))
        self._service.forget_answers(task_id)  # what was said before the cancel is no news after it
        try:
            response = await self._transport.send(request)
        except RequestNotSent as exc:
            raise ProviderUnavailable(
                adapter.label,
                f"Could not reach {adapter.label} to cancel ({exc}); nothing changed. Try again.",
            ) from None
        except RequestOutcomeUnknown:
            message = "The cancel was sent but no answer came back; get_task shows whether it took."
            return _with(current, "unknown", message)
        if response.status == 429 or response.status >= 500:  # not an answer about the job
            message = (
                f"{adapter.label} answered the cancel with HTTP {response.status} "
                f"({_provider_words(response)}); whether it took is unknown. Call cancel_task again shortly; "
                "get_task shows the state."
            )
            return _with(current, "unknown", message)
        if not response.ok:
            return _with(current, "refused", _refused(adapter, current, _provider_words(response)))
        return await self._confirmed(task_id, adapter)

    async def _confirmed(self, task_id: str, adapter: ProviderAdapter) -> TaskResult:
        after = await self._service.get_task(task_id, 0.0, None)
        if after.status == "canceled":
            return _with(
                after, "canceled", f"Cancelled at {adapter.label}: the job will not run and is not billed."
            )
        message = (
            f"{adapter.label} accepted the cancel, but the task reads {after.status}; check with get_task."
        )
        return _with(after, "unknown", message)


def _with(result: TaskResult, outcome: str, message: str) -> TaskResult:
    cancel = CancelOutcome(outcome=outcome, message=message)  # pyright: ignore[reportArgumentType]
    return result.model_copy(update={"cancel": cancel})


def _finished(current: TaskResult) -> str:
    if current.status == "expired" and not current.local_file:
        return "Nothing to cancel: the provider does not know this task (gone after ~24 h, or a wrong id)."
    return f"Nothing to cancel: the task is already {current.status}."


def _provider_words(response: HttpResponse) -> str:
    """The provider's own code and message from an error answer (JSON `code`/`message`), else its text."""
    try:
        body: object = json.loads(response.body)
    except ValueError:
        body = None
    fields = cast(dict[str, object], body) if isinstance(body, dict) else {}
    words = [value for key in ("code", "message") if isinstance(value := fields.get(key), str) and value]
    if words:
        return ": ".join(words)[:300]
    return response.text(200) or f"HTTP {response.status}"


def _cannot(adapter: ProviderAdapter, current: TaskResult) -> str:
    return (
        f"{adapter.label} cannot cancel jobs ({adapter.cancel_rule}). The job keeps running and is billed "
        f"if it succeeds; its state is unchanged ({current.status})."
    )


def _refused(adapter: ProviderAdapter, current: TaskResult, refusal: str) -> str:
    return (
        f"{adapter.label} refused to cancel (HTTP answer: {refusal.rstrip('.')}). It "
        f"{adapter.cancel_rule.removeprefix('it ')}. The job keeps running and is billed if it succeeds; its "
        f"state is unchanged ({current.status})."
    )
