"""What a finished video looks like: its properties and a contact sheet for the model.

The seam is `Previewer.preview(video, request)`; decoding (PyAV) and tiling (Pillow) happen
in decoder processes (`wan_video_mcp.decoder`): the server never loads either."""

from wan_video_mcp.preview.previewer import PREVIEWS_AT_ONCE, Preview, Previewer

__all__ = ["PREVIEWS_AT_ONCE", "Preview", "Previewer"]
