"""What a file holds, read from its first bytes rather than its name.

A `.png` that is really a PDF, or a video renamed `.jpg`, fails at the provider after
an upload (and sometimes after a charge); the signatures below are the formats the Wan
models take: images jpg/png/webp/bmp, videos mp4/mov, voices wav/mp3.
"""

from __future__ import annotations

from typing import Literal

from wan_video_mcp.params.media import MediaKind

FileFormat = Literal["jpeg", "png", "webp", "bmp", "mp4", "mov", "wav", "mp3"]
KIND_OF: dict[FileFormat, MediaKind] = {
    "jpeg": "image",
    "png": "image",
    "webp": "image",
    "bmp": "image",
    "mp4": "video",
    "mov": "video",
    "wav": "audio",
    "mp3": "audio",
}
CONTENT_TYPES: dict[FileFormat, str] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
}
EXTENSIONS: dict[FileFormat, str] = {
    "jpeg": ".jpg",
    "png": ".png",
    "webp": ".webp",
    "bmp": ".bmp",
    "mp4": ".mp4",
    "mov": ".mov",
    "wav": ".wav",
    "mp3": ".mp3",
}
HEAD_BYTES = 64
# ISO-container brands of still images (iPhone photos are HEIC): not a format the models take.
STILL_IMAGE_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1", b"avif", b"avis")


def still_image_brand(head: bytes) -> bool:
    return head[4:8] == b"ftyp" and head[8:12] in STILL_IMAGE_BRANDS


# QuickTime files start with one of these atoms when they do not start with `ftyp`.
QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def sniff(head: bytes) -> FileFormat | None:
    """The format whose signature `head` (a file's first bytes) carries, if one of ours."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return "webp" if head[8:12] == b"WEBP" else "wav"
    if head.startswith(b"BM") and len(head) >= 14:
        return "bmp"
    if head[4:8] == b"ftyp" and head[8:12] in STILL_IMAGE_BRANDS:
        return None  # HEIC/AVIF: an ISO container holding still images, not a video
    if head[4:8] == b"ftyp":
        return "mov" if head[8:12] == b"qt  " else "mp4"
    if head[4:8] in QUICKTIME_ATOMS:
        return "mov"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None
