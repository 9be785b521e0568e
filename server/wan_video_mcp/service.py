"""Orchestration between the tools and the providers: choose a provider, refuse
duplicates, journal, submit once, wait within the budget, save the video."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import PurePath

import anyio
from anyio.abc import TaskGroup

from wan_video_mcp.costs.model import Cost
from wan_video_mcp.costs.spending import Spending
from wan_video_mcp.downloads import VideoSaver
from wan_video_mcp.dryrun import dry_run_result
from wan_video_mcp.errors import (
    ConfigurationError,
    DownloadError,
    ProviderUnavailable,
    SubmitOutcomeUnknown,
    TaskNotFound,
    UnknownTaskStatus,
)
from wan_video_mcp.inflight import status_queries
from wan_video_mcp.journal import Claim, Journal, JournalRecord, fingerprint
from wan_video_mcp.lingering import Lingering, fresh
from wan_video_mcp.locks import KeyedLocks
from wan_video_mcp.pacing import TypicalRunTimes
from wan_video_mcp.params import GeneratingArgs
from wan_video_mcp.providers.base import (
    UNREADABLE,
    HttpRequest,
    ProviderAdapter,
)
from wan_video_mcp.providers.registry import ProviderRegistry
from wan_video_mcp.providers.transport import ProviderTransport, RequestNotSent, RequestOutcomeUnknown
from wan_video_mcp.ratelimits import Allowance, SubmitLimiter
from wan_video_mcp.results import LINK_EXPIRED_NOTE, SAVING_NOTE, LiveFacts, task_result
from wan_video_mcp.settings import Settings
from wan_video_mcp.staging import Stager, after_uploads, with_content_hashes
from wan_video_mcp.submitting import Submitter
from wan_video_mcp.tasks import TYPICAL_RUN_SECONDS, TaskHandle, TaskResult, TaskSnapshot, TaskState, utc_now
from wan_video_mcp.waiting import (
    QUERY_TIMED_OUT,
    AnyioClock,
    Clock,
    Deadline,
    PollSchedule,
    ProgressReporter,
    ProgressSink,
    WaitOutcome,
    problem_text,
    wait_for_task,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Sent:
    """What a wait needs of a submit: the journal's claim, the provider's handle (None when
    nothing was sent: an identical task is reused, or the outcome is unknown) and the progress
    sink to go on with."""

    claim: Claim
    handle: TaskHandle | None
    progress: ProgressSink | None


# A provider that has not heard of a task this young is lagging, not forgetting it.
NOT_FOUND_GRACE = timedelta(minutes=5)
FINAL_STATES = ("succeeded", "failed", "canceled", "expired")
# A caller's newest tasks whose saved files they may read through resources/read.
OWN_FILES_LOOKED_UP = 1000


def _just_submitted(record: JournalRecord) -> bool:
    """Submitted here moments ago (an adopted handle's age is unknown, so it never is)."""
    return record.tool != "unknown" and utc_now() - record.submitted_at < NOT_FOUND_GRACE


def _not_known(handle: TaskHandle, snapshot: TaskSnapshot) -> JournalRecord:
    """An unsaved record of a handle its provider does not know either."""
    now = utc_now()
    return JournalRecord(
        id=0,
        handle=str(handle),
        tool="unknown",
        provider=handle.provider,
        model="unknown",
        params={},
        fingerprint="",
        state="expired",
        submitted_at=now,
        updated_at=now,
        finished_at=now,
        error_message=snapshot.error_message or "The provider does not know this task.",
    )


def _complete(snapshot: TaskSnapshot) -> bool:
    """An answer a result can be built on: a success names its video."""
    return snapshot.state is not TaskState.SUCCEEDED or bool(snapshot.video_url)


async def _first_news(reporter: ProgressReporter, carried: WaitOutcome | None) -> None:
    """Progress at once when a wait does not begin with a poll: the answer handed over, or queued."""
    latest = carried.snapshot if carried else None
    if latest is None:
        await reporter.report(TaskState.QUEUED, None)
    else:
        await reporter.report(latest.state, latest.progress_percent)


class VideoService:
    def __init__(
        self,
        *,
        settings: Settings,
        registry: ProviderRegistry,
        transport: ProviderTransport,
        journal: Journal,
        saver: VideoSaver,
        background: TaskGroup,
        stager: Stager,
        spending: Spending,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.journal = journal
        self._transport = transport
        self.saver = saver
        self._background = background
        self._clock = clock or AnyioClock()
        self._submit_locks = KeyedLocks()
        self._stager = stager
        self.spending = spending
        window = timedelta(seconds=settings.dedupe_window_seconds)
        self._submitter = Submitter(journal, transport, self._clock, window)
        self._limiter = SubmitLimiter(settings.submits_per_minute)
        self._downloads: dict[str, anyio.Event] = {}
        self._run_times = TypicalRunTimes(journal)
        self._lingering = Lingering(background)
        self._status_queries = status_queries()

    @property
    def transport(self) -> ProviderTransport:
        return self._transport

    def viewer(self, caller: str | None) -> str | None:
        """Whose tasks `caller` sees and may be handed: their own, unless tasks are shared."""
        return None if self.settings.share_tasks else caller

    def visible(self, record: JournalRecord, caller: str | None) -> bool:
        viewer = self.viewer(caller)
        return viewer is None or record.caller == viewer

    def forget_answers(self, task_id: str) -> None:
        """The task was changed here (a cancel was sent): the next look asks the provider afresh."""
        self._lingering.forget(str(self.registry.handle(task_id)))

    def saving(self, task_id: str) -> bool:
        """Whether this process is still saving the task's video."""
        return task_id in self._downloads

    async def may_read_file(self, local_file: str, caller: str | None) -> bool:
        """Whether `caller` may read a saved video or contact sheet: one of their tasks' files.
        (Names derive from task ids; knowing another caller's id must not open its video.)"""
        viewer = self.viewer(caller)
        if viewer is None:
            return True
        mine = await self.journal.listing((), None, OWN_FILES_LOOKED_UP, viewer)
        stem = PurePath(local_file).stem
        return any(
            record.handle and self.saver.path_for(TaskHandle.parse(record.handle)).stem == stem
            for record in mine
        )

    async def generate(
        self,
        args: GeneratingArgs,
        progress: ProgressSink | None,
        wait_seconds: float,
        caller: str | None = None,
    ) -> TaskResult:
        deadline = Deadline.after(self._clock, wait_seconds)
        adapter = self.registry.choose(args)
        adapter.submit_request(args)  # every refusal comes before anything is uploaded or sent
        facts = LiveFacts(notes=args.notes())
        # What the submit worked with (the files, the hashed and staged copies of the arguments,
        # the request) ends with `_submit`: a thousand calls waiting minutes do not keep it.
        sent = await self._submit(adapter, args, deadline, progress, facts, caller)
        if isinstance(sent, TaskResult):
            return sent  # a dry run
        if sent.claim.existing is not None:
            return await self._reuse(adapter, sent.claim.existing, deadline, sent.progress, facts)
        if sent.handle is None:  # sent, but the answer proves nothing: journaled as unknown
            assert sent.claim.row is not None
            return task_result(await self._row(sent.claim.row), facts)
        return await self._follow(adapter, sent.handle, deadline, sent.progress, facts, poll_now=False)

    async def _submit(  # noqa: PLR0917  (the call's own arguments, passed on)
        self,
        adapter: ProviderAdapter,
        args: GeneratingArgs,
        deadline: Deadline,
        progress: ProgressSink | None,
        facts: LiveFacts,
        caller: str | None,
    ) -> _Sent | TaskResult:
        """The job submitted once (or the identical one found), or a dry run's answer."""
        files = await self._stager.inspect(args, adapter)
        if (note := self.registry.why_not_default(args, adapter)) is not None:
            facts.notes.append(note)
        # Identical = the same effective parameters (a default spelled out is the same
        # request) and the same file contents (not the temporary URLs they travel by).
        same = with_content_hashes(args, files)
        cost = self.spending.estimate(adapter.name, args, files)
        if (note := self.spending.budget_note(cost)) is not None:
            facts.notes.append(note)
        viewer = self.viewer(caller)
        if args.dry_run:
            identical = await self._submitter.identical(adapter, args, same, viewer)
            return dry_run_result(
                adapter.name, args, files, cost, identical, await self.spending.spend(), facts.notes
            )
        key = fingerprint(args.tool, adapter.name, args.model, adapter.identity(same))
        log.debug("submitting %s to %s: %s", args.tool, adapter.label, args.request_params())
        # In this process the lock makes identical calls wait for one submit; across
        # processes the journal's claim does (see _claim). Waiting happens outside both.
        async with self._submit_locks.hold(key):
            identical = await self._submitter.identical(adapter, args, same, viewer)
            with self._limiter.allowance(caller, self._clock.now) as allowance:
                if identical is None:
                    allowance.take()
                # The budget holds this call's estimate until its claim is journaled (counted there).
                async with self.spending.admit(cost, new_job=identical is None):
                    staged = await self._stager.stage(args, adapter, files, progress)
                    request = adapter.submit_request(staged.args)
                    claim = await self._submitter.claim(
                        adapter,
                        args,
                        deadline,
                        same=same,
                        uploads=staged.uploads,
                        cost=cost,
                        caller=caller,
                        viewer=viewer,
                    )
                handle = await self._send(adapter, request, claim, allowance, cost, identical is not None)
        if any(upload.method != "inline" for upload in staged.uploads):
            progress = after_uploads(progress)  # the wait's progress continues above the uploads'
        return _Sent(claim, handle, progress)

    async def _send(  # noqa: PLR0917  (the submit's parts, passed on)
        self,
        adapter: ProviderAdapter,
        request: HttpRequest,
        claim: Claim,
        allowance: Allowance,
        cost: Cost,
        admitted_as_reuse: bool,
    ) -> TaskHandle | None:
        """The claimed row's one submit, counted in the caller's allowance (None: an identical
        task is returned, or the outcome is unknown)."""
        if claim.row is None:
            return None
        if admitted_as_reuse:
            await self._admit_after_all(claim.row, allowance, cost)
        allowance.handed_over()
        return await self._submitter.send(adapter, request, claim.row, allowance)

    async def _admit_after_all(self, row: int, allowance: Allowance, cost: Cost) -> None:
        """The identical task this call was to return is no longer reusable (it failed, it left
        the dedupe window during a long upload, or another replica's submit of it was refused),
        so the journal claimed a new job: it passes the caller's allowance and the budget now,
        or its claim is closed unsent."""
        try:
            allowance.take()
            await self.spending.admit_after_all(cost, await self._row(row))
        except BaseException as refusal:
            await self._submitter.close_unsent(row, refusal)  # whatever stopped it
            raise

    async def get_task(
        self, task_id: str, wait_seconds: float, progress: ProgressSink | None, caller: str | None = None
    ) -> TaskResult:
        handle = self.registry.handle(task_id)
        deadline = Deadline.after(self._clock, wait_seconds)
        adapter = self.registry.get(handle.provider)
        record = await self.journal.get(str(handle))
        if record is not None and not self.visible(record, caller):
            raise TaskNotFound(
                f"Task {handle} is not one of yours on this server. Check the task_id; "
                "list_tasks lists yours."
            )
        if record is not None and record.state in FINAL_STATES:
            return await self._finished(handle, record, deadline)
        if not adapter.configured:
            raise ConfigurationError(
                f"Task {handle} belongs to {adapter.label}, which has no API key here. {adapter.key_hint()}"
            )
        if record is None:
            return await self._adopt(adapter, handle, deadline, progress, caller)
        return await self._follow(adapter, handle, deadline, progress, LiveFacts(), poll_now=True)

    async def _adopt(
        self,
        adapter: ProviderAdapter,
        handle: TaskHandle,
        deadline: Deadline,
        progress: ProgressSink | None,
        caller: str | None,
    ) -> TaskResult:
        """A handle the journal has not seen (another replica's, an older journal's). Unknown to
        the provider too: an unsaved "expired" answer, so a typo leaves no record behind. Else
        it is journaled with what the provider said, and followed on from that answer."""
        looked = await self._look_up(adapter, handle, deadline)
        if isinstance(looked, TaskSnapshot) and looked.state is TaskState.EXPIRED:
            return task_result(_not_known(handle, looked), LiveFacts())
        await self.journal.adopt(str(handle), handle.provider, caller)
        if isinstance(looked, str) or not _complete(looked):
            # Asked again at once (the answer may come this time), unless the question that
            # went unanswered used up the budget.
            again = looked != QUERY_TIMED_OUT or self._clock.now() < deadline.at
            facts = LiveFacts(problem=None if again else QUERY_TIMED_OUT)
            return await self._follow(adapter, handle, deadline, progress, facts, poll_now=again)
        await self.journal.record_snapshot(str(handle), looked)
        if looked.state.is_terminal:
            return await self._finished(handle, await self._record(handle), deadline)
        answered = WaitOutcome(snapshot=looked, answered_at=self._clock.now())
        return await self._follow(adapter, handle, deadline, progress, LiveFacts(), True, answered=answered)

    async def _finished(self, handle: TaskHandle, record: JournalRecord, deadline: Deadline) -> TaskResult:
        """A journaled final task's result, its video saved first if the budget allows."""
        facts = LiveFacts()
        await self._save_within(record, deadline, facts)
        return await self._result(handle, facts)

    async def _look_up(
        self, adapter: ProviderAdapter, handle: TaskHandle, deadline: Deadline
    ) -> TaskSnapshot | str:
        """The provider's word on `handle`, within the call's budget and grace as every poll is;
        or why there is none yet."""
        with anyio.move_on_after(deadline.last_answer_within(self._clock)):
            try:
                return await self._ask(adapter, handle)
            except ProviderUnavailable as exc:  # a rate limit is the caller's to hear, with its wait
                return problem_text(exc)
        return QUERY_TIMED_OUT

    async def _reuse(
        self,
        adapter: ProviderAdapter,
        existing: JournalRecord,
        deadline: Deadline,
        progress: ProgressSink | None,
        facts: LiveFacts,
    ) -> TaskResult:
        if existing.handle is None:
            if not existing.outcome_unknown:
                raise SubmitOutcomeUnknown(
                    adapter.label,
                    "An identical request is still being submitted by another process sharing this "
                    "journal. Call again in a few seconds to get that task instead of paying twice.",
                )
            when = existing.submitted_at.strftime("%H:%M:%S UTC")
            facts.notes.append(f"This is the identical request sent at {when}; nothing new was submitted.")
            return task_result(existing, facts)
        handle = TaskHandle.parse(existing.handle)
        facts.reused = True
        age = (utc_now() - existing.submitted_at).total_seconds() / 60
        facts.notes.append(
            f"An identical request was already submitted {age:.0f} min ago as {handle}; returning that task "
            "instead of paying twice. Pass force_new=true for a new, separately billed job."
        )
        if existing.state == "succeeded":
            await self._save_within(existing, deadline, facts)
            return await self._result(handle, facts)
        return await self._follow(adapter, handle, deadline, progress, facts, poll_now=True)

    async def _follow(  # noqa: PLR0917  (one call site per mode; all arguments are needed)
        self,
        adapter: ProviderAdapter,
        handle: TaskHandle,
        deadline: Deadline,
        progress: ProgressSink | None,
        facts: LiveFacts,
        poll_now: bool,
        *,
        answered: WaitOutcome | None = None,
    ) -> TaskResult:
        """Wait for the task within the budget. `answered`: the provider's word just now, which
        stands in for the first poll as an answer handed over by a lingering wait does."""
        record = await self._record(handle)
        reporter = ProgressReporter(
            progress, handle, record.submitted_at, TYPICAL_RUN_SECONDS.get(record.model, 300.0)
        )
        with self._lingering.following(str(handle)) as lingered:
            carried = lingered or answered
            poll_now = poll_now and not fresh(carried, self._clock.now())
            if not poll_now:
                await _first_news(reporter, carried)
            outcome = await self._wait(
                adapter, handle, record, deadline, reporter, poll_now=poll_now, carry_on=carried
            )
        if not outcome.finished and self.settings.linger_seconds:
            self._lingering.start(str(handle), outcome, partial(self._linger, adapter, handle, record))
        facts.problem = outcome.last_problem or facts.problem  # the wait's own word first
        record = await self._record(handle)
        await self._save_within(record, deadline, facts)
        return await self._result(handle, facts)

    async def _wait(
        self,
        adapter: ProviderAdapter,
        handle: TaskHandle,
        record: JournalRecord,
        deadline: Deadline,
        reporter: ProgressReporter,
        *,
        carry_on: WaitOutcome | None,
        poll_now: bool = False,
        last_look: bool = True,
    ) -> WaitOutcome:
        return await wait_for_task(
            partial(self._poll, adapter, handle, record),
            deadline=deadline,
            schedule=await self._schedule(adapter, record),
            clock=self._clock,
            reporter=reporter,
            on_snapshot=partial(self.journal.record_snapshot, str(handle)),
            poll_now=poll_now,
            carry_on=carry_on,
            last_look=last_look,
        )

    async def _linger(
        self, adapter: ProviderAdapter, handle: TaskHandle, record: JournalRecord, outcome: WaitOutcome
    ) -> None:
        """Poll on after the call returned (lingering.py); a job seen ending has its video saved."""
        deadline = Deadline.after(self._clock, self.settings.linger_seconds)
        silent = ProgressReporter(None, handle, record.submitted_at, 300.0)
        await self._wait(adapter, handle, record, deadline, silent, carry_on=outcome, last_look=False)
        if outcome.finished:
            await self._save_within(await self._record(handle), Deadline(self._clock.now(), 0.0), LiveFacts())

    async def _schedule(self, adapter: ProviderAdapter, record: JournalRecord) -> PollSchedule:
        maximum = self.settings.poll_max_seconds or adapter.poll_interval
        return PollSchedule(
            first=min(self.settings.poll_first_seconds, maximum),
            maximum=maximum,
            expected=await self._run_times.expectation(record.provider, record.model),
            already=max(0.0, (utc_now() - record.submitted_at).total_seconds()),
        )

    async def _poll(
        self, adapter: ProviderAdapter, handle: TaskHandle, record: JournalRecord
    ) -> TaskSnapshot:
        """One status query, with answers that are not results yet turned into transient faults."""
        try:
            snapshot = await self._ask(adapter, handle)
        except UnknownTaskStatus as exc:
            await self.journal.record_provider_status(str(handle), exc.raw_status)
            raise
        if not _complete(snapshot):
            raise ProviderUnavailable(
                adapter.label, "reported success without a video link", code="no link yet"
            )
        if snapshot.state is TaskState.EXPIRED and _just_submitted(record):
            raise ProviderUnavailable(adapter.label, "does not list the new task yet", code="not listed yet")
        return snapshot

    async def _ask(self, adapter: ProviderAdapter, handle: TaskHandle) -> TaskSnapshot:
        try:
            async with self._status_queries.turn(adapter.name):
                response = await self._transport.send(adapter.poll_request(handle.task_id))
        except (RequestNotSent, RequestOutcomeUnknown) as exc:
            raise ProviderUnavailable(adapter.label, str(exc), code="network") from None
        try:
            if response.ok:
                return adapter.parse_poll(response)
            raise adapter.error_for(response, "poll")
        except UNREADABLE as exc:
            log.warning("unreadable answer from %s for %s", adapter.label, handle, exc_info=True)
            raise ProviderUnavailable(
                adapter.label, f"unreadable answer ({type(exc).__name__})", code="unreadable"
            ) from None
        except TaskNotFound as gone:
            return TaskSnapshot(
                state=TaskState.EXPIRED, raw_status=f"HTTP {response.status}", error_message=gone.message
            )

    async def _row(self, row: int) -> JournalRecord:
        record = await self.journal.get_row(row)
        assert record is not None, "the row was written before the submit"
        return record

    async def _record(self, handle: TaskHandle) -> JournalRecord:
        record = await self.journal.get(str(handle))
        assert record is not None, "every followed task is journaled first"
        return record

    async def _result(self, handle: TaskHandle, facts: LiveFacts) -> TaskResult:
        record = await self._record(handle)
        if record.state == "expired" and not record.error_message:
            record = record.model_copy(update={"error_message": "The provider no longer knows this task."})
        return task_result(record, facts)

    async def _save_within(self, record: JournalRecord, deadline: Deadline, facts: LiveFacts) -> None:
        """Save a succeeded task's video, waiting for it until the deadline (plus a short grace);
        a slower download goes on in the background and the result says so."""
        if (
            not self.settings.download
            or record.state != "succeeded"
            or not record.video_url
            or not record.handle
        ):
            return
        if record.local_file and await anyio.Path(record.local_file).exists():
            return
        if record.video_expires_at and record.video_expires_at < utc_now():
            facts.notes.append(LINK_EXPIRED_NOTE)
            return
        done = self._downloads.get(record.handle)
        if done is None:
            done = self._downloads[record.handle] = anyio.Event()
            self._background.start_soon(
                self._download, TaskHandle.parse(record.handle), record.video_url, done
            )
        with anyio.move_on_after(max(deadline.at - self._clock.now(), deadline.grace)):
            await done.wait()
        if not done.is_set():
            facts.notes.append(SAVING_NOTE)

    async def _download(self, handle: TaskHandle, url: str, done: anyio.Event) -> None:
        try:
            path = await self.saver.save(handle, url)
            await self.journal.record_download(str(handle), str(path), None)
            log.info("saved %s to %s", handle, path)
        except DownloadError as exc:
            await self.journal.record_download(str(handle), None, exc.message)
            log.warning("could not save %s: %s", handle, exc.message)
        except Exception:
            # A background task must never take the server down with it.
            log.exception("unexpected failure saving %s", handle)
            await self.journal.record_download(str(handle), None, "unexpected error while saving")
        finally:
            self._downloads.pop(str(handle), None)
            done.set()
