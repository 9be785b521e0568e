"""Decoding in processes of their own: a finished video's properties and contact sheet, and
a local input's duration, frame size or image structure, read with FFmpeg (PyAV) and Pillow
in a decoder process, so the server never loads either, a crash on a hostile file ends only
its decoder, and the memory decoding took is given back once the decoders are idle.

The seam is `Decoders.look(order, limit, wait=...)`; `worker.py` is the process's side."""

from wan_video_mcp.decoder.messages import Look, Order
from wan_video_mcp.decoder.pool import Decoders

__all__ = ["Decoders", "Look", "Order"]
