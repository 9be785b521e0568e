"""Everything the emulator remembers: tasks, keys, the request log, injected faults,
and switches for the behaviours providers.md marks [unknown]."""

from __future__ import annotations

import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, Literal

EmulatedProvider = Literal["dashscope", "apiyi", "modellix", "aimlapi"]
CallKind = Literal["submit", "poll", "check", "download", "policy", "upload", "cancel"]
TaskPhase = Literal["queued", "running", "succeeded", "failed", "canceled", "expired"]
# Provider-rendered kinds: auth, balance, rate_limit, moderation, invalid, server_error, not_found.
# Wire-level kinds, the same everywhere: slow (answer after `delay`), garbled, drop (cut off
# mid-answer), huge (a 200 answer far larger than any API answer), text (`message` as a plain
# text body, as a gateway's error page would be, with `status` or 502).
# Download-only kinds: truncate (cut the file off halfway), oversize (an enormous file),
# redirect (a 302 to `location`, or to the same link again), stall (half the file, then a
# pause of `delay` seconds before the rest).
# A submit fault with `after_create` is answered only after the task was created: the
# provider accepted (and will bill) the job, then failed to say so.
FaultKind = Literal[
    "auth",
    "balance",
    "rate_limit",
    "moderation",
    "invalid",
    "server_error",
    "not_found",
    "slow",
    "garbled",
    "drop",
    "truncate",
    "oversize",
    "huge",
    "redirect",
    "stall",
    "text",
]
DAY = 86400.0


def sample_video() -> bytes:
    return files("wan_video_mcp.emulator").joinpath("sample.mp4").read_bytes()


class EmulatorClock:
    """Emulated wall-clock seconds: real time times `speed`, plus manual jumps."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._origin_wall = time.time()
        self._origin_mono = time.monotonic()
        self._offset = 0.0

    def now(self) -> float:
        return self._origin_wall + (time.monotonic() - self._origin_mono) * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


@dataclass
class TaskScript:
    """How one emulated task behaves, in emulated seconds."""

    queue_seconds: float = 1.0
    run_seconds: float = 3.0
    outcome: Literal["succeeded", "failed"] = "succeeded"
    error_code: str = "InternalError.Algo"
    error_message: str = "The model failed to generate the video. Please try again later."


@dataclass
class Fault:
    """A canned misbehaviour; each provider module renders it in its own wire format."""

    kind: FaultKind
    retry_after: float | None = None
    delay: float = 0.0
    message: str | None = None
    status: int | None = None  # overrides the provider's usual HTTP status for this kind
    location: str | None = None  # redirect target
    after_create: bool = False


@dataclass
class EmulatorOptions:
    """Switches for what the providers' documents leave open."""

    # Where getPolicy says to POST uploads (default: this emulator); real DashScope names a
    # separate OSS host.
    oss_origin: str | None = None
    # Keys, models and endpoints are per region; the Beijing region names VACE `wanx2.1-vace-plus`.
    dashscope_region: Literal["intl", "cn", "us"] = "intl"
    # [unknown] A failed DashScope task may carry `usage` (video_count 0); usage numbers may be floats.
    dashscope_usage_on_failure: bool = False
    float_usage: bool = False
    apiyi_serves_vace: bool = False
    apiyi_error_shape: Literal["object", "string"] = "object"
    apiyi_videoedit_requires_reference: bool = False
    # [inferred] APIYI and AI/ML API answer an unknown task id with 404; some gateways say 400.
    missing_task_status: Literal[404, 400] = 404
    modellix_failure_field: Literal["data.error", "data.message", "data.result.error", "none"] = "data.error"
    modellix_validate_bad_key: Literal["401", "is_valid_false"] = "is_valid_false"
    # [unknown] Modellix documents videoedit `duration` both as 0,2..10 and as 2..10.
    modellix_videoedit_zero_duration: Literal["accept", "reject"] = "accept"
    # [doc] Modellix's 429 carries X-RateLimit-Reset; whether it also sends Retry-After is not said.
    modellix_retry_after_header: bool = False
    # Providers ignore unknown fields in reality; rejecting them catches a typo in our bodies.
    reject_unknown_fields: bool = True
    result_ttl_seconds: float = DAY
    # Hostile behaviour, for tests of what the server must survive.
    status_override: str | None = None  # every poll answers with this raw status word
    echo_key: Literal["none", "plain", "escaped", "percent"] = "none"  # in failure messages and errors
    distinct_videos: bool = False  # each task's video differs (a trailing MP4 `free` box names it)


@dataclass
class OssObject:
    """A file in DashScope's temporary storage: bound to one model, kept 48 h."""

    model: str
    uploaded_at: float
    content: bytes


@dataclass
class EmulatedTask:
    provider: EmulatedProvider
    task_id: str
    model: str
    body: dict[str, Any]
    created_at: float
    script: TaskScript
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    canceled_at: float | None = None

    def phase(self, now: float, ttl: float) -> TaskPhase:
        age = now - self.created_at
        if age > ttl:
            return "expired"
        if self.canceled_at is not None:
            return "canceled"
        if age < self.script.queue_seconds:
            return "queued"
        if age < self.script.queue_seconds + self.script.run_seconds:
            return "running"
        return self.script.outcome

    def progress(self, now: float) -> int:
        ran = now - self.created_at - self.script.queue_seconds
        return max(0, min(100, int(100 * ran / max(self.script.run_seconds, 1e-6))))

    @property
    def ended_at(self) -> float:
        return self.created_at + self.script.queue_seconds + self.script.run_seconds


@dataclass
class RecordedRequest:
    provider: str
    call: CallKind
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any
    at: float = 0.0  # on the emulator's clock
    connection: str = ""  # the client's address and port: one per TCP connection it opened


class EmulatorState:
    def __init__(self, options: EmulatorOptions | None = None, clock: EmulatorClock | None = None) -> None:
        self.options = options or EmulatorOptions()
        self.clock = clock or EmulatorClock()
        self.keys: dict[EmulatedProvider, str] = {
            "dashscope": "sk-emulator-dashscope",
            "apiyi": "sk-emulator-apiyi",
            "modellix": "sk-emulator-modellix",
            "aimlapi": "sk-emulator-aimlapi",
        }
        self.exhausted: set[EmulatedProvider] = set()
        self.tasks: dict[tuple[str, str], EmulatedTask] = {}
        self.requests: list[RecordedRequest] = []
        self.default_script = TaskScript()
        self._scripts: deque[TaskScript] = deque()
        self._faults: dict[tuple[str, str], deque[Fault]] = {}
        self.video = sample_video()
        self.next_task_id: str | None = None
        self.oss_objects: dict[str, OssObject] = {}

    # --- test controls -------------------------------------------------
    def script_next(self, script: TaskScript) -> None:
        """The next created task follows `script` (then the default again)."""
        self._scripts.append(script)

    def inject(self, provider: str, call: CallKind, fault: Fault, times: int = 1) -> None:
        """The next `times` `call` requests to `provider` ("*" for any) misbehave."""
        queue = self._faults.setdefault((provider, call), deque())
        queue.extend([fault] * times)

    def count(self, provider: str | None = None, call: CallKind | None = None) -> int:
        return len(self.of(provider, call))

    def of(self, provider: str | None = None, call: CallKind | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if (provider is None or r.provider == provider) and (call is None or r.call == call)
        ]

    # --- used by the routes ---------------------------------------------
    def take_fault(self, provider: str, call: CallKind) -> Fault | None:
        for key in ((provider, call), ("*", call)):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()
        return None

    def create_task(
        self, provider: EmulatedProvider, model: str, body: dict[str, Any], prefix: str = ""
    ) -> EmulatedTask:
        task_id = self.next_task_id if self.next_task_id is not None else f"{prefix}{uuid.uuid4()}"
        self.next_task_id = None
        script = self._scripts.popleft() if self._scripts else self.default_script
        task = EmulatedTask(provider, task_id, model, body, self.clock.now(), script)
        self.tasks[(provider, task_id)] = task
        return task

    def find(self, provider: str, task_id: str) -> EmulatedTask | None:
        return self.tasks.get((provider, task_id))

    def find_by_token(self, token: str) -> EmulatedTask | None:
        return next((task for task in self.tasks.values() if task.token == token), None)

    def phase(self, task: EmulatedTask) -> TaskPhase:
        return task.phase(self.clock.now(), self.options.result_ttl_seconds)

    def failure_message(self, task: EmulatedTask) -> str:
        message = task.script.error_message
        if self.options.echo_key != "none":
            message += f" (request signed with {self.keys[task.provider]})"
        return message

    def video_of(self, task: EmulatedTask) -> bytes:
        """The bytes the CDN serves for `task`."""
        if not self.options.distinct_videos:
            return self.video
        marker = task.task_id.encode()
        return self.video + (8 + len(marker)).to_bytes(4, "big") + b"free" + marker

    def spell_keys(self, body: bytes) -> bytes:
        """Every key in `body` as `echo_key` spells it (JSON escapes or percent-encoding)."""
        for key in self.keys.values():
            if self.options.echo_key == "escaped":
                body = body.replace(key.encode(), "".join(f"\\u{ord(c):04x}" for c in key).encode())
            elif self.options.echo_key == "percent":
                body = body.replace(key.encode(), "".join(f"%{ord(c):02X}" for c in key).encode())
        return body
