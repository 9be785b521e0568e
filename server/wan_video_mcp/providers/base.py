"""The contract every provider adapter fulfils.

An adapter is pure: it turns canonical arguments into an `HttpRequest` and an
`HttpResponse` into a task id, a `TaskSnapshot` or an error. Sending is done by
`transport.py`, so adapters are tested without any network.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from wan_video_mcp.errors import ProviderUnavailable, WanError
from wan_video_mcp.params import GeneratingArgs, ModelName
from wan_video_mcp.settings import ProviderName, Settings
from wan_video_mcp.tasks import TaskSnapshot

CallKind = Literal["submit", "poll", "check"]
BodyT = TypeVar("BodyT", bound=BaseModel)


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
    # The longest pause between polls this provider recommends.
    poll_interval: ClassVar[float]

    def __init__(self, settings: Settings) -> None:
        key = settings.api_key(self.name)
        self._key = key.get_secret_value() if key is not None else None

    @property
    def configured(self) -> bool:
        return self._key is not None

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key or ''}"}

    @abstractmethod
    def model_id(self, model: ModelName) -> str | None:
        """This provider's name for `model`, or None when it does not offer it."""

    def unsupported(self, args: GeneratingArgs) -> str | None:
        """Why this provider cannot honour `args` exactly (None when it can)."""
        if args.uses_oss():
            return "oss:// URLs are DashScope temporary uploads that only DashScope can read"
        return None

    @abstractmethod
    def submit_request(self, args: GeneratingArgs) -> HttpRequest: ...

    @abstractmethod
    def parse_submitted(self, response: HttpResponse) -> str:
        """The provider's task id from an accepted submit."""

    @abstractmethod
    def poll_request(self, task_id: str) -> HttpRequest: ...

    @abstractmethod
    def parse_poll(self, response: HttpResponse) -> TaskSnapshot: ...

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
