"""Logging to stderr (stdout belongs to the stdio transport), with keys redacted."""

from __future__ import annotations

import logging
import sys


class RedactingFilter(logging.Filter):
    """Replaces every configured API key in a log record's final text."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        text = record.getMessage()
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        record.msg, record.args = text, None
        return True


def configure_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_http_logs(level)


def quiet_http_logs(level: str) -> None:
    """httpx logs every request at INFO; keep those lines for DEBUG only."""
    logging.getLogger("httpx2").setLevel(max(logging.WARNING, logging.getLevelNamesMapping()[level]))
