"""Prompts a person picks in their client (slash commands, prompt menus): turning an idea
into a well-formed request for the tools, so the capability the server advertises is real."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

STORYBOARD = """Plan a short video for this idea: {idea}

Write a storyboard of {shots} shots for Wan 2.7 (wan2.7-r2v, {resolution}). For each shot give:
the subjects and setting, the camera (framing and movement), the action, the light and mood, and the
duration in seconds. Keep each subject described the same way in every shot, so reference images
can hold them steady. Then list the reference images worth preparing (one per recurring subject).
Do not call any tool yet; ask me to confirm or change the plan first."""

R2V_REQUEST = """Turn this idea into one generate_reference_video call: {idea}

References I have (local paths or URLs; may be empty): {references}

Rules: put images in reference_images and videos in reference_videos, and refer to them in the
prompt as "Image 1", "Image 2", ... and "Video 1", ... in list order; a shot list ("Shot 1: ...
Shot 2: ...") makes a multi-shot video; keep the prompt under 5000 characters; choose resolution
and duration from the idea (default 1080P, 5 s); set dry_run=true first so I see the cost and the
exact request, and only submit after I agree. When the answer says the task is still running,
continue with get_task and the task_id it gives."""


def add_prompts(server: MCPServer[Any]) -> None:
    @server.prompt(name="storyboard", title="Storyboard a video idea")
    def storyboard(
        idea: str = Field(description="What the video is about"),
        shots: int = Field(default=4, description="How many shots (1-8)"),
        resolution: str = Field(default="1080P", description="720P or 1080P"),
    ) -> str:
        """Plan a multi-shot video as a storyboard, before anything is generated or paid for."""
        return STORYBOARD.format(idea=idea, shots=max(1, min(shots, 8)), resolution=resolution)

    @server.prompt(name="reference_video_request", title="Idea to a reference-to-video request")
    def reference_video_request(
        idea: str = Field(description="What the video should show"),
        references: str = Field(
            default="", description="Reference images/videos: paths or URLs, comma-separated"
        ),
    ) -> str:
        """Turn an idea and reference files into a checked generate_reference_video call (dry run first)."""
        return R2V_REQUEST.format(idea=idea, references=references or "(none yet)")

    del storyboard, reference_video_request  # registered by the decorators
