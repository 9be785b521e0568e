"""Local input files made reachable for the provider before the paid submit.

The seam is `Stager`: `inspect` (refusals before anything moves), then `stage` (uploads,
reused by content; the arguments with URLs in place of paths)."""

from wan_video_mcp.staging.meter import after_uploads
from wan_video_mcp.staging.stager import Staged, Stager, with_content_hashes

__all__ = ["Staged", "Stager", "after_uploads", "with_content_hashes"]
