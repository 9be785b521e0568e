"""From "what kind of failure is this" to the error the model reads.

Each adapter classifies its own wire format into an `ErrorKind`; the wording of
what to do next lives here, once, so every provider's errors read alike.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Literal

from wan_video_mcp.errors import (
    ProviderAuthError,
    ProviderBalanceError,
    ProviderError,
    ProviderModeration,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    TaskNotFound,
    WanError,
)
from wan_video_mcp.providers.base import CallKind, HttpResponse

ErrorKind = Literal["auth", "balance", "rate_limited", "moderation", "invalid", "not_found", "unavailable"]

BALANCE_WORDS = ("balance", "credit", "quota", "arrear", "insufficient", "余额", "欠费")
MODERATION_WORDS = ("moderation", "inspection", "sensitive", "inappropriate", "unsafe", "policy")
# [inferred] Some gateways answer an unknown task id with 400 rather than 404.
NOT_FOUND_WORDS = ("not found", "not exist", "no such", "unknown task")


def kind_from_status(status: int, text: str) -> ErrorKind:
    """A fallback classification from the HTTP status and the words of the message."""
    lowered = text.lower()
    if status in (401,):
        return "auth"
    if status == 402 or any(word in lowered for word in BALANCE_WORDS):
        return "balance"
    if status == 429:
        return "rate_limited"
    if any(word in lowered for word in MODERATION_WORDS):
        return "moderation"
    if status == 403:
        return "auth"
    if status == 404 or (status in (400, 410) and any(word in lowered for word in NOT_FOUND_WORDS)):
        return "not_found"
    if status >= 500 or status == 408:
        return "unavailable"
    return "invalid"


def build_error(
    kind: ErrorKind,
    *,
    label: str,
    detail: str,
    code: str | None,
    call: CallKind,
    key_hint: str,
    retry_after: float | None = None,
) -> WanError:
    shown = f"{code}: {detail}" if code and code not in detail else detail
    if kind == "auth":
        return ProviderAuthError(
            label, f"{label} refused the API key or its permissions ({shown}). {key_hint}", code
        )
    if kind == "balance":
        return ProviderBalanceError(
            label,
            f"{label} says the account has no balance or credits left ({shown}). Top up the {label} "
            "account, or pass `provider` to use another configured provider.",
            code,
        )
    if kind == "rate_limited":
        wait = f"{retry_after:.0f} s" if retry_after is not None else "a minute"
        action = "Nothing was submitted; call again" if call == "submit" else "Try again"
        return ProviderRateLimited(
            label,
            f"{label} is rate-limiting this API key ({shown}). {action} in about {wait}.",
            retry_after,
            code,
        )
    if kind == "moderation":
        return ProviderModeration(
            label,
            f"{label}'s content moderation refused this request ({shown}). Change the prompt or the "
            "input media; sending the same inputs again will be refused again.",
            code,
        )
    if kind == "not_found" and call == "poll":
        return TaskNotFound(
            f"{label} does not know this task any more ({shown}): task ids and results are kept about 24 "
            "hours, or the id is wrong."
        )
    if kind == "unavailable":
        return ProviderUnavailable(
            label,
            f"{label} had a server problem ({shown}). This is usually temporary; try again shortly.",
            code,
        )
    return ProviderRejected(
        label,
        f"{label} rejected the request: {shown}. Fix what it names and call again; nothing was charged.",
        code,
    )


def retry_after_seconds(response: HttpResponse) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP date) or X-RateLimit-Reset."""
    value = response.header("retry-after")
    if value:
        if value.strip().replace(".", "", 1).isdigit():
            return float(value)
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    reset = response.header("x-ratelimit-reset")
    if reset and reset.strip().replace(".", "", 1).isdigit():
        number = float(reset)
        # Large numbers are an epoch timestamp, small ones a number of seconds.
        return max(0.0, number - time.time()) if number > 1e9 else number
    return None


__all__ = ["ErrorKind", "ProviderError", "build_error", "kind_from_status", "retry_after_seconds"]
