"""`python -m wan_video_mcp` is the `wan-video-mcp` command."""

import sys

from wan_video_mcp.cli import main

sys.exit(main())
