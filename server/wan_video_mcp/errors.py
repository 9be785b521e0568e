"""One small exception tree. Every message is read by an AI model in an `isError`
tool result, so each says what went wrong and what to do next."""

from __future__ import annotations


class WanError(Exception):
    """Base of every error this server reports to the caller on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(WanError):
    """The server is not set up for what was asked (missing key, unusable folder)."""


class InvalidRequest(WanError):
    """The arguments break a rule; nothing was sent and nothing was charged."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(f"Invalid argument `{field}`: {problem} Fix: {fix} (Nothing was sent or charged.)")
        self.field = field


class InvalidArguments(WanError):
    """Several schema violations at once, already formatted one per line."""


class ProviderError(WanError):
    """A provider answered with an error. `provider` is the provider's label."""

    def __init__(self, provider: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.code = code


class ProviderAuthError(ProviderError):
    """The key is missing its rights, wrong, or from another region."""


class ProviderBalanceError(ProviderError):
    """The account has no balance or credits left."""


class ProviderRateLimited(ProviderError):
    """Too many requests; `retry_after` seconds when the provider said."""

    def __init__(
        self, provider: str, message: str, retry_after: float | None, code: str | None = None
    ) -> None:
        super().__init__(provider, message, code)
        self.retry_after = retry_after


class ProviderModeration(ProviderError):
    """The provider's content moderation refused the inputs."""


class ProviderRejected(ProviderError):
    """The provider refused the parameters (its own validation)."""


class ProviderUnavailable(ProviderError):
    """Timeouts, 5xx, garbled bodies: worth another try later."""


class UnknownTaskStatus(ProviderUnavailable):
    """The provider answered with a status word this server does not know. Waiting goes on:
    the job may be fine, and the handle is never lost over a new word."""

    def __init__(self, provider: str, raw_status: str) -> None:
        super().__init__(
            provider,
            f"{provider} reported task status {raw_status!r}, which this server does not know",
            code=f"unknown status {raw_status[:40]!r}",
        )
        self.raw_status = raw_status


class SubmitOutcomeUnknown(ProviderError):
    """A submit's fate is not known yet: a job may exist and be billed."""


class TaskNotFound(WanError):
    """The provider no longer knows the task (older than its retention, or never existed)."""


class DownloadError(WanError):
    """Saving the finished video failed; the remote URL may still work."""


class DownloadTooLarge(DownloadError):
    """The video is larger than WAN_MCP_MAX_DOWNLOAD_MB."""


class UploadError(WanError):
    """A local input could not be made reachable for the provider; nothing was submitted."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(
            f"Could not upload `{field}`: {reason}. Nothing was submitted or charged; try again, or pass a "
            "public URL instead."
        )
        self.field = field


class JournalBusy(WanError):
    """The journal kept a call waiting too long to record its submit; nothing was submitted."""


class BudgetExceeded(WanError):
    """A submit whose estimate would pass the daily or monthly budget: refused before sending."""
