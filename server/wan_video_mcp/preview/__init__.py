"""What a finished video looks like: its properties and a contact sheet for the model.

The seam is `Previewer.preview(video, request)`; decoding (PyAV) and tiling (Pillow) are
imported on first use, so serving starts without them."""

from wan_video_mcp.preview.previewer import Preview, Previewer

__all__ = ["Preview", "Previewer"]
