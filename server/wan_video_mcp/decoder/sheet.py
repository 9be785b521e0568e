"""Frames tiled into one small labelled JPEG: what a model can look at to judge a video."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

from wan_video_mcp.decoder.layout import GAP, columns, tile_height, tile_width
from wan_video_mcp.decoder.reader import Frame

QUALITIES = (82, 72, 62, 52, 42, 32)
LABEL_SIZE = 18


def contact_sheet(frames: list[Frame], width: int, max_bytes: int) -> bytes:
    """A grid of `frames` (two columns up to four frames, then three), each tile labelled
    with its time, at most `width` px wide, as a JPEG of at most `max_bytes` when the
    quality ladder allows (the smallest rung otherwise)."""
    across = columns(len(frames))
    rows = math.ceil(len(frames) / across)
    tile_w = tile_width(len(frames), width)
    tile_h = tile_height(tile_w, frames[0].image.width, frames[0].image.height)
    sheet = Image.new(
        "RGB", (across * tile_w + GAP * (across - 1), rows * tile_h + GAP * (rows - 1)), "black"
    )
    for index, frame in enumerate(frames):
        tile = _labelled(frame, tile_w, tile_h)
        sheet.paste(tile, ((index % across) * (tile_w + GAP), (index // across) * (tile_h + GAP)))
    return _jpeg(sheet, max_bytes)


def _labelled(frame: Frame, width: int, height: int) -> Image.Image:
    tile = _tile(frame.image, width, height)
    draw = ImageDraw.Draw(tile)
    font = ImageFont.load_default(size=LABEL_SIZE)
    text = f"{frame.seconds:.1f} s"
    left, top, right, bottom = draw.textbbox((6, 4), text, font=font)
    draw.rectangle((left - 4, top - 2, right + 4, bottom + 2), fill=(0, 0, 0))
    draw.text((6, 4), text, fill=(255, 255, 255), font=font)
    return tile


def _tile(image: Image.Image, width: int, height: int) -> Image.Image:
    """A new picture of the tile's size (the reader usually scaled it already; the label is
    drawn on this copy, never on a frame that may be shown twice)."""
    if image.size == (width, height) and image.mode == "RGB":
        return image.copy()
    return image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)  # pyright: ignore[reportUnknownMemberType]


def _jpeg(sheet: Image.Image, max_bytes: int) -> bytes:
    data = b""
    for quality in QUALITIES:
        buffer = io.BytesIO()
        sheet.save(buffer, format="JPEG", quality=quality, optimize=True)
        data = buffer.getvalue()
        if len(data) <= max_bytes:
            break
    return data
