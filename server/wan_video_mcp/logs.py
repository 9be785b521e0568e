"""Logging to stderr (stdout belongs to the stdio transport), with keys redacted."""

from __future__ import annotations

import logging
import sys

from wan_video_mcp.redaction import Redactor


class RedactingFilter(logging.Filter):
    """Replaces every configured API key in a log record's final text (traceback included)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self._redactor.text(record.getMessage()), None
        if record.exc_info:
            record.exc_text = self._redactor.text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure_logging(level: str, redactor: Redactor) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_http_logs(level)


def quiet_http_logs(level: str) -> None:
    """httpx logs every request at INFO; keep those lines for DEBUG only."""
    logging.getLogger("httpx2").setLevel(max(logging.WARNING, logging.getLevelNamesMapping()[level]))
