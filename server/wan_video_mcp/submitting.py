"""Submitting exactly once: "is there one already? if not, I claim it" in the journal (any
number of processes), waiting for another process's identical submit, then the one paid
request and what its answer proves (a handle, a refusal, or an unknown outcome -- never
a blind retry)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial

import anyio

from wan_video_mcp.costs.model import Cost
from wan_video_mcp.errors import ProviderUnavailable, WanError
from wan_video_mcp.inflight import SUBMITS_LONGEST_WAIT, submits
from wan_video_mcp.journal import Claim, Journal, JournalRecord
from wan_video_mcp.params import GeneratingArgs
from wan_video_mcp.providers.base import (
    HttpRequest,
    ProviderAdapter,
    SubmitAccepted,
    SubmitAnswer,
    SubmitRefused,
    SubmitUnclear,
)
from wan_video_mcp.providers.transport import ProviderTransport, RequestNotSent, RequestOutcomeUnknown
from wan_video_mcp.ratelimits import Allowance
from wan_video_mcp.tasks import TaskHandle, UploadedInput
from wan_video_mcp.waiting import Clock, Deadline

log = logging.getLogger(__name__)

# How long past a submit's own time limit its claim stays valid: its longest wait for a turn
# to be sent, and slack to journal the answer. Built from the queue's limit, so raising that
# limit cannot let a claim lapse (and an identical call submit again) while a submit waits.
JOURNAL_SLACK_SECONDS = 25.0
LEASE_MARGIN = SUBMITS_LONGEST_WAIT + JOURNAL_SLACK_SECONDS
# An identical submit in flight in another process is checked on this interval (its
# answer usually comes within a second or two).
CLAIM_POLL_SECONDS = 0.1
# How often a call waits out another's submit that the provider then refused.
CLAIM_ROUNDS = 3
CANCELLED_BEFORE_SENDING = "The call was cancelled before its submit went out: nothing was sent."


class Submitter:
    def __init__(
        self, journal: Journal, transport: ProviderTransport, clock: Clock, dedupe_window: timedelta
    ) -> None:
        self.journal = journal
        self._transport = transport
        self._clock = clock
        self._dedupe_window = dedupe_window
        self._in_flight = submits()

    async def claim(
        self,
        adapter: ProviderAdapter,
        args: GeneratingArgs,
        deadline: Deadline,
        *,
        same: GeneratingArgs,
        uploads: list[UploadedInput],
        cost: Cost | None = None,
        caller: str | None = None,
        viewer: str | None = None,
    ) -> Claim:
        """A new row to submit, or the identical submission to return instead.

        `same` is `args` as duplicate checks compare it (local files by content hash).
        An identical submit in flight in another process is waited for; if the provider
        refused it, nothing was created and this call claims its own row."""
        window = None if args.force_new else self._dedupe_window
        claim = partial(
            self.journal.claim,
            args.tool,
            adapter.name,
            args.model,
            args.request_params(),
            identity=adapter.identity(same),
            uploads=[upload.model_dump(mode="json") for upload in uploads],
            cost=cost.model_dump(mode="json") if cost is not None else None,
            reuse_window=window,
            caller=caller,
            viewer=viewer,
            lease=timedelta(seconds=self._transport.total_seconds + LEASE_MARGIN),
        )
        for _ in range(CLAIM_ROUNDS):
            found = await _seen_through(claim)
            if found.existing is None or found.existing.state != "submitting":
                return found
            settled = await self._await_claim(found.existing, deadline)
            if settled.state != "rejected":
                return Claim(existing=settled)
            # Refused: nothing was created. Claim again -- through the journal, so that of
            # several callers that waited for it, one submits and the others wait for that.
        return await _seen_through(claim)

    async def identical(
        self, adapter: ProviderAdapter, args: GeneratingArgs, same: GeneratingArgs, viewer: str | None = None
    ) -> JournalRecord | None:
        """The earlier task an identical call returns instead of submitting (None with force_new)."""
        if args.force_new:
            return None
        return await self.journal.identical(
            args.tool,
            adapter.name,
            args.model,
            args.request_params(),
            adapter.identity(same),
            self._dedupe_window,
            viewer,
        )

    async def _await_claim(self, record: JournalRecord, deadline: Deadline) -> JournalRecord:
        """Wait while another live process submits this identical request (its answer comes
        within its lease); a dead owner's claim becomes an unknown outcome at once."""
        give_up = max(deadline.at + deadline.grace, self._clock.now() + 2 * deadline.grace)
        record = await self.journal.settle(record)
        while record.state == "submitting" and not record.outcome_unknown and self._clock.now() < give_up:
            await self._clock.sleep(CLAIM_POLL_SECONDS)
            record = await self.journal.settle(await self._row(record.id))
        return record

    async def send(
        self, adapter: ProviderAdapter, request: HttpRequest, row: int, allowance: Allowance
    ) -> TaskHandle | None:
        """Send the one submit for claimed `row`: its handle, or None when the outcome is unknown.
        `allowance` hears when nothing went out."""
        held = await self._turn(adapter, row, allowance)
        # Shielded: once a paid submit is on the wire, its answer must be journaled even
        # if the client cancels the call meanwhile.
        handle: TaskHandle | None = None
        with anyio.CancelScope(shield=True):
            try:
                handle = await self._submit(adapter, request, row, allowance)
            except WanError:
                raise  # journaled already, as refused
            except Exception as exc:
                # Whatever went wrong after sending, the claim must not stay "submitting",
                # and the caller gets the unknown outcome, not a bare error.
                log.exception("recording the submit to %s failed", adapter.label)
                await self.journal.mark_unknown(row, f"An internal error followed the submit ({exc!r:.200})")
            finally:
                self._in_flight.give_back(adapter.name, held)
        return handle

    async def _turn(self, adapter: ProviderAdapter, row: int, allowance: Allowance) -> bool:
        """The submit's turn to be sent (whether a slot was taken). A call cancelled while its
        submit waits for its turn sent nothing: its claim is closed as such, not left to expire
        into an "unknown outcome"."""
        try:
            return await self._in_flight.take(adapter.name)
        except anyio.get_cancelled_exc_class() as cancelled:
            await self.close_unsent(row, cancelled)
            allowance.not_sent()
            raise

    async def close_unsent(self, row: int, stopped_by: BaseException) -> None:
        """Claimed `row` will not be sent (its call was cancelled, or refused before sending):
        closed as such at once, even while cancelled, not left to expire into an "unknown
        outcome" that an identical call would have to be forced past."""
        with anyio.CancelScope(shield=True):
            await self.journal.mark_rejected(row, _why_not_sent(stopped_by))

    async def _submit(
        self, adapter: ProviderAdapter, request: HttpRequest, row: int, allowance: Allowance
    ) -> TaskHandle | None:
        """Send the one submit; a handle, or None when the outcome is unknown (journaled so)."""
        try:
            response = await self._transport.send(request)
        except RequestNotSent as exc:
            await self._not_sent(row, str(exc), allowance)
            raise ProviderUnavailable(
                adapter.label,
                f"Could not reach {adapter.label} ({exc}). Nothing was submitted; try again shortly.",
            ) from None
        except RequestOutcomeUnknown as exc:
            await self.journal.mark_unknown(
                row, f"The submit to {adapter.label} was sent but no answer came back ({exc})"
            )
            return None
        return await self._record_answer(adapter, adapter.read_submit(response), row, allowance)

    async def _record_answer(
        self, adapter: ProviderAdapter, answer: SubmitAnswer, row: int, allowance: Allowance
    ) -> TaskHandle | None:
        match answer:
            case SubmitAccepted(task_id=task_id):
                handle = TaskHandle(adapter.name, task_id)
                if not await self.journal.mark_submitted(row, str(handle)):
                    log.warning("%s answered a submit with the known task id %s", adapter.label, handle)
                    return None
                log.info("submitted %s", handle)
                return handle
            case SubmitRefused(error=error):
                await self._not_sent(row, error.message, allowance)
                raise error
            case SubmitUnclear(reason=reason):
                await self.journal.mark_unknown(row, reason)
                log.warning("submit outcome unknown: %s", reason)
                return None

    async def _not_sent(self, row: int, reason: str, allowance: Allowance) -> None:
        """Nothing went out (or the provider refused it): the claim is closed as such, and the
        caller's allowance is kept whole."""
        await self.journal.mark_rejected(row, reason)
        allowance.not_sent()

    async def _row(self, row: int) -> JournalRecord:
        record = await self.journal.get_row(row)
        assert record is not None, "the row was written before the submit"
        return record


async def _seen_through(claim: Callable[[], Awaitable[Claim]]) -> Claim:
    """The journal's claim, seen through even when the call is cancelled meanwhile: a claim
    written after its caller left would stay "submitting" and expire into an unknown outcome
    (which an identical call must then be forced past). Seen through, the cancel lands at the
    submit's turn, which closes the claim as not sent."""
    found: Claim | None = None
    with anyio.CancelScope(shield=True):
        found = await claim()
    assert found is not None, "a shielded scope ends only when the claim does"
    return found


def _why_not_sent(stopped_by: BaseException) -> str:
    if isinstance(stopped_by, WanError):
        return stopped_by.message
    if isinstance(stopped_by, anyio.get_cancelled_exc_class()):
        return CANCELLED_BEFORE_SENDING
    return f"Not sent: checking the new job against the limits failed ({type(stopped_by).__name__})."
