"""The contract every provider adapter fulfils.

An adapter is pure: it turns canonical arguments into an `HttpRequest` and an
`HttpResponse` into a task id, a `TaskSnapshot` or an error. Sending is done by
`transport.py`, so adapters are tested without any network.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from wan_video_mcp.errors import ProviderUnavailable, WanError
from wan_video_mcp.params import GeneratingArgs, ModelName
from wan_video_mcp.params.media import is_local
from wan_video_mcp.providers import catalogue
from wan_video_mcp.settings import ProviderName, Settings
from wan_video_mcp.tasks import TaskSnapshot

CallKind = Literal["submit", "poll", "check"]
# How a file on this machine reaches a provider: its own upload facility, the user's
# bucket (a presigned URL), or inline in the request where the provider documents that.
LocalRoute = Literal["provider", "bucket", "inline"]
BUCKET_HINT = (
    "set WAN_MCP_S3_BUCKET (with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and WAN_MCP_S3_ENDPOINT_URL for a "
    "non-AWS store) so the server can upload it"
)
BodyT = TypeVar("BodyT", bound=BaseModel)

# The ids DashScope, APIYI and Modellix issue (UUIDs, "task-…"): letters, digits, - and _,
# so an id is always one plain URL path segment and one plain file name.
PATH_SAFE_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
# What reading a hostile or broken answer may raise besides our own errors (a date past
# the year 9999, a number where text was expected...): an unreadable answer, never a crash.
UNREADABLE = (ValueError, TypeError, OverflowError, OSError, KeyError, AttributeError)
# A refusal by HTTP's own meaning, whoever sends it: the request was not processed.
HTTP_REFUSALS = frozenset({404, 405, 413, 414, 415, 422, 431})


@dataclass(frozen=True)
class SubmitAccepted:
    task_id: str


@dataclass(frozen=True)
class SubmitRefused:
    """The provider's answer proves that no job was created."""

    error: WanError


@dataclass(frozen=True)
class SubmitUnclear:
    """A job may or may not exist: never resubmit on this."""

    reason: str


SubmitAnswer = SubmitAccepted | SubmitRefused | SubmitUnclear


@dataclass(frozen=True)
class HttpRequest:
    method: Literal["GET", "POST"]
    url: str
    # repr=False: headers carry the API key and must never reach a log line.
    headers: dict[str, str] = field(default_factory=dict[str, str], repr=False)
    json: dict[str, Any] | None = None
    params: dict[str, str] | None = None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def text(self, limit: int = 300) -> str:
        return self.body[:limit].decode("utf-8", errors="replace").strip()


@dataclass(frozen=True)
class KeyVerdict:
    accepted: bool
    detail: str


class ProviderAdapter(ABC):
    name: ClassVar[ProviderName]
    label: ClassVar[str]
    key_env: ClassVar[str]
    base_url: str
    # The longest pause between polls this provider recommends.
    poll_interval: ClassVar[float]
    # Every id the provider answers with and every handle a caller passes must match.
    task_id_pattern: ClassVar[re.Pattern[str]] = PATH_SAFE_TASK_ID
    task_id_rule: ClassVar[str] = "letters, digits, '-' and '_', at most 128 characters"
    # HTTP statuses this provider documents as "request refused" on a submit; anything
    # else that is not a 2xx (5xx, gateway errors, 408) may come after a job was created.
    refusal_statuses: ClassVar[frozenset[int]]
    # Whether the provider hosts uploads itself (DashScope's temporary oss:// files).
    takes_uploads: ClassVar[bool] = False
    # The (model, parameter) pairs the provider documents as accepting inline (base64) data.
    inline_fields: ClassVar[frozenset[tuple[ModelName, str]]] = frozenset()

    def __init__(self, settings: Settings) -> None:
        key = settings.api_key(self.name)
        self._key = key.get_secret_value() if key is not None else None
        self._bucket = settings.s3_bucket is not None
        self._settings = settings
        self.base_url = catalogue.base_url(self.name, settings)

    @property
    def configured(self) -> bool:
        return self._key is not None

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key or ''}"}

    def model_id(self, model: ModelName) -> str | None:
        """This provider's name for `model`, or None when it does not offer it."""
        return catalogue.model_id(self.name, model, self._settings)

    def unsupported(self, args: GeneratingArgs) -> str | None:
        """Why this provider cannot honour `args` exactly (None when it can)."""
        if args.uses_oss():
            return "oss:// URLs are DashScope temporary uploads that only DashScope can read"
        return self.unreachable_files(args)

    def local_route(self, model: ModelName, field: str) -> LocalRoute | None:
        """How a local file for `field` reaches this provider, best way first; None: no way."""
        if self.takes_uploads:
            return "provider"
        if self._bucket:
            return "bucket"
        return "inline" if (model, field) in self.inline_fields else None

    def unreachable_files(self, args: GeneratingArgs) -> str | None:
        """Why a local file in `args` cannot reach this provider (None when every one can)."""
        for item in args.media():
            if is_local(item.reference) and self.local_route(args.model, item.field) is None:
                return (
                    f"{self.label} cannot fetch {item.label}, a file on this computer: use DashScope (it "
                    f"takes uploads), {BUCKET_HINT}, or pass a public URL"
                )
        return None

    @abstractmethod
    def submit_request(self, args: GeneratingArgs) -> HttpRequest: ...

    def identity(self, args: GeneratingArgs) -> dict[str, Any]:
        """What makes two calls the same request here (for duplicate checks): every parameter's
        effective value, unless this provider treats a default it is not sent differently."""
        return args.identity()

    @abstractmethod
    def parse_submitted(self, response: HttpResponse) -> str:
        """The provider's task id from an accepted submit."""

    def read_submit(self, response: HttpResponse) -> SubmitAnswer:
        """What a submit's answer proves: a task id, a refusal, or nothing certain."""
        if not response.ok:
            return self.refused_or_unclear(response, response.status)
        try:
            task_id = self.parse_submitted(response)
        except WanError as exc:
            return SubmitUnclear(f"{self.label} answered the submit unreadably ({exc.message})")
        except UNREADABLE as exc:
            return SubmitUnclear(f"{self.label} answered the submit unreadably ({type(exc).__name__})")
        if not self.valid_task_id(task_id):
            return SubmitUnclear(
                f"{self.label} answered the submit with an unusable task id {task_id[:80]!r}"
            )
        return SubmitAccepted(task_id)

    def refused_or_unclear(self, response: HttpResponse, status: int) -> SubmitAnswer:
        """A submit answered with error `status`: a documented refusal, or an unknown outcome."""
        if status in self.refusal_statuses | HTTP_REFUSALS:
            return SubmitRefused(self.error_for(response, "submit"))
        return SubmitUnclear(
            f"{self.label} answered the submit with HTTP {status} ({response.text(160) or 'no body'}), "
            "which does not prove the job was refused"
        )

    def valid_task_id(self, task_id: str) -> bool:
        return self.task_id_pattern.fullmatch(task_id) is not None

    def task_path(self, prefix: str, task_id: str) -> str:
        """`prefix` + the id as one percent-encoded path segment (ids are checked, this is depth)."""
        return prefix + quote(task_id, safe="")

    @abstractmethod
    def poll_request(self, task_id: str) -> HttpRequest: ...

    @abstractmethod
    def parse_poll(self, response: HttpResponse) -> TaskSnapshot: ...

    def cancel_request(self, task_id: str) -> HttpRequest | None:
        """The request that cancels a task, or None where the provider documents no way to."""
        del task_id
        return None

    # When the provider lets a job be cancelled, in words for the model.
    cancel_rule: ClassVar[str] = "it documents no way to cancel a job"

    @abstractmethod
    def error_for(self, response: HttpResponse, call: CallKind) -> WanError:
        """The error a non-2xx answer means, written for the model."""

    @abstractmethod
    def key_check_request(self) -> HttpRequest: ...

    def key_verdict(self, response: HttpResponse) -> KeyVerdict | None:
        """accepted/rejected from the check answer; None when it proves neither.

        The check asks about a task that does not exist: any answer about the task
        (200, 400, 404, 422) means the key got past authentication.
        """
        if response.status in (401, 403):
            return KeyVerdict(False, f"rejected: HTTP {response.status} {response.text(120)}")
        if response.status in (200, 400, 404, 422):
            return KeyVerdict(
                True, f"accepted (HTTP {response.status} for a status query of a task that does not exist)"
            )
        return None

    def parse_body(self, model: type[BodyT], response: HttpResponse) -> BodyT:
        """`response` as `model`; an unreadable body is a transient provider fault."""
        try:
            return model.model_validate_json(response.body)
        except ValidationError:
            raise ProviderUnavailable(
                self.label,
                f"{self.label} answered HTTP {response.status} with a body this server cannot read: "
                f"{response.text(120)!r}. This is usually temporary.",
            ) from None

    def parse_or_empty(self, model: type[BodyT], response: HttpResponse) -> BodyT:
        """`response` as `model`, or an empty `model` when the body is not that shape.

        For error bodies, whose shape providers vary and which must never mask the
        HTTP status with a parsing failure. `model` must have only optional fields.
        """
        try:
            return model.model_validate_json(response.body)
        except ValidationError:
            return model.model_validate({})

    def key_hint(self) -> str:
        return f"Set {self.key_env} in the MCP server's environment to a valid {self.label} API key."
