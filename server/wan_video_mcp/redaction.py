"""Keys out of everything: provider answers, tool results, the journal and the log.

A provider may echo the key in any spelling: as sent, JSON-escaped
(`"\\u0073k-..."`) or percent-encoded in a URL. Raw bytes are scrubbed as they
arrive, and every string is scrubbed again after decoding, at each place text
leaves this server (a result, a journal row, a log line).
"""

from __future__ import annotations

import json
from typing import Any, cast
from urllib.parse import unquote

MASK = "[redacted]"


class Redactor:
    def __init__(self, secrets: list[str]) -> None:
        # Longest first, so a key that contains another is masked whole.
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        if "%" in value and self._holds_secret(unquote(value)):
            return self.text(unquote(value))  # only a hostile answer spells a key this way
        return value

    def deep(self, value: Any) -> Any:
        """`value` with every string inside it (dict keys included) scrubbed."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            items = cast(dict[Any, Any], value).items()
            return {self.deep(key): self.deep(item) for key, item in items}
        if isinstance(value, list | tuple):
            return [self.deep(item) for item in cast(list[Any], value)]
        return value

    def body(self, data: bytes) -> bytes:
        """A response body scrubbed as bytes and, when it is JSON, after decoding too."""
        for secret in self._secrets:
            data = data.replace(secret.encode(), MASK.encode())
        if not self._secrets or (b"\\u" not in data and b"%" not in data):
            return data
        try:
            decoded = json.loads(data)
        except ValueError:
            return data
        scrubbed = self.deep(decoded)
        return data if scrubbed == decoded else json.dumps(scrubbed).encode()

    def _holds_secret(self, value: str) -> bool:
        return any(secret in value for secret in self._secrets)
