"""Where frames go on a contact sheet. The reader uses it too: it scales each frame to its
tile while converting it from the decoder's pixels (in C, no full-size picture kept)."""

from __future__ import annotations

GAP = 4


def columns(count: int) -> int:
    """Two columns up to four frames, then three."""
    return max(1, min(2 if count <= 4 else 3, count))


def tile_width(count: int, width: int) -> int:
    """A tile's width when `count` frames share a sheet at most `width` px wide."""
    across = columns(count)
    return (width - GAP * (across - 1)) // across


def tile_height(tile_w: int, frame_width: int, frame_height: int) -> int:
    return max(1, round(tile_w * frame_height / frame_width))
