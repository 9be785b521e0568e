"""Media parameters: a public URL the provider fetches, a DashScope `oss://` upload, or a
file on this machine (an absolute path or a `file://` URI) that the server makes
reachable before submitting (see `wan_video_mcp.inputs`).

Parsing only reads the text; whether a file exists, what it holds and how it travels is
decided later, before anything is uploaded or paid.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Annotated, Any, Literal, cast
from urllib.parse import urlsplit
from urllib.request import url2pathname

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from wan_video_mcp.addresses import why_not_public

MediaKind = Literal["image", "video", "audio"]

# Schemes in any case (RFC 3986); the validator writes them lower-case.
URL_PATTERN = r"^([Hh][Tt][Tt][Pp][Ss]?|[Oo][Ss][Ss])://\S+$"
OSS_PREFIX = "oss://"
REMOTE_PREFIXES = ("http://", "https://", OSS_PREFIX)
URL_SHAPE = "must be a public http(s):// URL with no spaces (or a DashScope oss:// upload)"
LOCAL_HINT = "pass the file's absolute path instead: the server uploads it for the provider"
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def is_local(reference: str) -> bool:
    """True for a file on this machine (parsing has made every such reference absolute)."""
    return not reference.startswith(REMOTE_PREFIXES)


def _reference(value: str) -> str:
    text = value.strip()
    if text.startswith("["):
        raise PydanticCustomError("url_list", "is a list written as text; this parameter takes one URL")
    if "\x00" in text or "%00" in text:
        raise PydanticCustomError("nul", "holds a NUL character, which no file name or URL contains")
    scheme = text.partition("://")[0].lower()
    if scheme == "file" or text[:5].lower() == "file:":
        return _file_uri(text)
    if scheme in ("http", "https", "oss"):
        return _reachable_url(f"{scheme}{text[len(scheme) :]}")
    if "://" in text:
        raise PydanticCustomError("url_shape", URL_SHAPE + ", or a local file's absolute path")
    return _absolute_path(text)


def _file_uri(text: str) -> str:
    # RFC 8089 allows `file:/path` (no authority) as well as `file:///path`.
    parts = urlsplit(text if text[5:7] == "//" else f"file://{text[5:]}")
    if parts.netloc not in ("", "localhost"):
        raise PydanticCustomError(
            "file_host",
            "names a file on another machine ({host}); give a file on this one",
            {"host": parts.netloc},
        )
    return _absolute_path(url2pathname(parts.path))


def _absolute_path(text: str) -> str:
    path = os.path.expanduser(text)
    if not (os.path.isabs(path) or WINDOWS_DRIVE.match(path) or PureWindowsPath(path).is_absolute()):
        raise PydanticCustomError(
            "relative_path",
            "is a relative path ({path}): the server does not know which folder you mean. Give the absolute "
            "path (such as /Users/you/Pictures/hero.png or C:\\Users\\you\\hero.png) or a public URL",
            {"path": text[:200]},
        )
    return os.path.normpath(path)


def _reachable_url(url: str) -> str:
    """The provider downloads URLs itself: refuse what it cannot reach or should not see."""
    if not re.match(URL_PATTERN, url):
        raise PydanticCustomError("url_shape", URL_SHAPE)
    if url.startswith(OSS_PREFIX):
        return url
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise PydanticCustomError("url_port", "has an invalid port; give a port from 1 to 65535")
    if "@" in parts.netloc:
        raise PydanticCustomError(
            "url_credentials",
            "must not carry a user name or password (user:password@...): the provider would receive them "
            "and most refuse such URLs; use a public or pre-signed URL, or {hint}",
            {"hint": LOCAL_HINT},
        )
    host = parts.hostname or ""
    if not host:
        raise PydanticCustomError(
            "url_host", "has no host name; give a full public URL such as https://host/a.png"
        )
    if (reason := why_not_public(host)) is not None:
        raise PydanticCustomError(
            "url_not_public",
            "names {host}, {reason}; the provider downloads the file itself and cannot reach it. If the file "
            "is on this machine, {hint}",
            {"host": host, "reason": reason, "hint": LOCAL_HINT},
        )
    return url


MediaRef = Annotated[
    str,
    AfterValidator(_reference),
    Field(
        min_length=1,
        max_length=4096,
        description=(
            "Public http(s) URL, or a local file's absolute path or file:// URI (uploaded for you)."
        ),
    ),
]


@dataclass(frozen=True)
class MediaItem:
    """One media input of a call: where it sits in the arguments, what it must be, its reference."""

    field: str
    key: int | str | None  # list index, object key, or None for a single value
    kind: MediaKind
    reference: str

    @property
    def label(self) -> str:
        """How the caller names it: `reference_images[0]`, `reference_voices['Image 1']`."""
        return self.field if self.key is None else f"{self.field}[{self.key!r}]"


def media_items(args: BaseModel, kinds: dict[str, MediaKind]) -> Iterator[MediaItem]:
    for name, kind in kinds.items():
        value: Any = getattr(args, name)
        if isinstance(value, str):
            yield MediaItem(name, None, kind, value)
        elif isinstance(value, list):
            for index, reference in enumerate(cast(list[str], value)):
                yield MediaItem(name, index, kind, reference)
        elif isinstance(value, dict):
            for key, reference in cast(dict[str, str], value).items():
                yield MediaItem(name, key, kind, reference)


def replaced(args: BaseModel, kinds: dict[str, MediaKind], references: dict[str, str]) -> dict[str, Any]:
    """The media fields' values with some references (by old value) swapped for new ones."""
    update: dict[str, Any] = {}
    for name in kinds:
        value: Any = getattr(args, name)
        if isinstance(value, str):
            update[name] = references.get(value, value)
        elif isinstance(value, list):
            update[name] = [references.get(item, item) for item in cast(list[str], value)]
        elif isinstance(value, dict):
            update[name] = {
                key: references.get(item, item) for key, item in cast(dict[str, str], value).items()
            }
    return update
