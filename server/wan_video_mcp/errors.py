"""One small exception tree. Every message is read by an AI model in an `isError`
tool result, so each says what went wrong and what to do next."""

from __future__ import annotations


class WanError(Exception):
    """Base of every error this server reports to the caller on purpose."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(WanError):
    """The server is not set up for what was asked (missing key, unknown provider)."""

    kind = "configuration"


class InvalidRequest(WanError):
    """The arguments break a rule; nothing was sent and nothing was charged."""

    kind = "invalid_request"

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(f"Invalid argument `{field}`: {problem} Fix: {fix} (Nothing was sent or charged.)")
        self.field = field


class InvalidArguments(WanError):
    """Several schema violations at once, already formatted one per line."""

    kind = "invalid_request"


class ProviderError(WanError):
    """A provider answered with an error. `provider` is the provider's label."""

    kind = "provider"

    def __init__(self, provider: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.code = code


class ProviderAuthError(ProviderError):
    kind = "auth"


class ProviderBalanceError(ProviderError):
    kind = "balance"


class ProviderRateLimited(ProviderError):
    kind = "rate_limited"

    def __init__(
        self, provider: str, message: str, retry_after: float | None, code: str | None = None
    ) -> None:
        super().__init__(provider, message, code)
        self.retry_after = retry_after


class ProviderModeration(ProviderError):
    kind = "moderation"


class ProviderRejected(ProviderError):
    """The provider refused the parameters (its own validation)."""

    kind = "invalid_request"


class ProviderUnavailable(ProviderError):
    """Timeouts, 5xx, garbled bodies: worth another try later."""

    kind = "unavailable"


class SubmitOutcomeUnknown(ProviderError):
    """The submit was sent but no answer came back: a job may exist and be billed."""

    kind = "submit_unknown"


class TaskNotFound(WanError):
    """The provider no longer knows the task (older than its retention, or never existed)."""

    kind = "expired"


class DownloadError(WanError):
    """Saving the finished video failed; the remote URL may still work."""

    kind = "download"


class DownloadTooLarge(DownloadError):
    pass
