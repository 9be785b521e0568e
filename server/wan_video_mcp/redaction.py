"""Keys out of everything: provider answers, tool results, the journal and the log.

A provider may echo the key in any common spelling: as sent, JSON-escaped
(`"\\u0073k-..."`, also in bodies that are not valid JSON), percent-encoded (once or
twice), as HTML entities, or in base64. Raw bytes are scrubbed as they arrive, and
every string is scrubbed again, decoded, at each place text leaves this server (a
result, a journal row, a log line).
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import unquote

MASK = "[redacted]"
ESCAPE = re.compile(r"\\+u([0-9a-fA-F]{4})|\\+x([0-9a-fA-F]{2})")
# Decoding rounds: enough for a key escaped twice over in mixed ways.
ROUNDS = 4


def _unescape(text: str) -> str:
    return ESCAPE.sub(lambda match: chr(int(match.group(1) or match.group(2), 16)), text)


DECODERS: tuple[Callable[[str], str], ...] = (unquote, html.unescape, _unescape)


class Redactor:
    def __init__(self, secrets: list[str]) -> None:
        # Longest first, so a key that contains another is masked whole.
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)
        # Other spellings, found as they stand: base64, hex, and a key cut short.
        self._encoded = [form for secret in self._secrets for form in _encoded_forms(secret)]
        starts = [secret[: _telling_length(secret)] for secret in self._secrets]
        self._prefixes = [re.escape(start) + r"\S*" for start in starts]
        # One pass that finds any of them (every key holds its own start): most text holds none,
        # and a poll's answer is checked whole instead of string by string.
        self._telltale = re.compile("|".join(re.escape(form) for form in (*starts, *self._encoded)))

    def text(self, value: str) -> str:
        value = self._mask(value)
        if not self._secrets or not any(mark in value for mark in ("%", "&", "\\")):
            return value
        decoded = value
        for _ in range(ROUNDS):
            for decode in DECODERS:
                decoded = decode(decoded)
            if self._holds_secret(decoded):
                return self._mask(decoded)  # only a hostile answer spells a key this way
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
        """A response body scrubbed as bytes and as decoded text (JSON or not)."""
        for secret in self._secrets:
            data = data.replace(secret.encode(), MASK.encode())
        if not self._secrets or self._plainly_clean(data):
            return data
        try:
            decoded = json.loads(data)
        except ValueError:
            text = data.decode("utf-8", errors="replace")
            scrubbed_text = self.text(text)
            return data if scrubbed_text == text else scrubbed_text.encode()
        scrubbed = self.deep(decoded)
        return data if scrubbed == decoded else json.dumps(scrubbed).encode()

    def _plainly_clean(self, data: bytes) -> bool:
        """No key in any spelling anywhere in `data`, seen without decoding it: nothing in it is
        escaped (JSON, percent, HTML) and nothing spells a key as it stands. UTF-8 only (no NUL):
        `json.loads` reads UTF-16 and UTF-32 too, where the text seen here would not be theirs."""
        text = data.decode("utf-8", errors="replace")
        if "\x00" in text or any(mark in text for mark in ("%", "&", "\\")):
            return False
        return self._telltale.search(text) is None

    def _mask(self, value: str) -> str:
        if self._telltale.search(value) is None:
            return value  # nothing below would change it
        for secret in (*self._secrets, *self._encoded):
            value = value.replace(secret, MASK)
        for prefix in self._prefixes:
            value = re.sub(prefix, MASK, value)
        return value

    def _holds_secret(self, value: str) -> bool:
        return any(secret in value for secret in self._secrets)


def _telling_length(secret: str) -> int:
    """How much of a key's start gives it away: most of it (a key cut short still leaks), but
    not so little that the first characters of every key (such as "sk-") match."""
    return max(12, len(secret) * 3 // 4)


def _encoded_forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [raw.hex(), raw.hex().upper(), *_base64_forms(secret)]


def _base64_forms(secret: str) -> list[str]:
    """The part of `secret`'s base64 that stays the same wherever it sits in a longer text
    (one form per alignment), long enough not to match by chance."""
    forms: list[str] = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret.encode()).decode()
        stable = encoded[4 if offset else 0 : -4]  # drop the blocks that mix in neighbours
        if len(stable) >= 12:
            forms.append(stable)
    return forms
