"""Words the model reads: server instructions and tool descriptions."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    try:
        return version("wan-video-mcp")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0"


VERSION = _version()

_JOB_FLOW = (
    "Jobs take 1-10 minutes: the call waits up to wait_seconds with progress, then returns the video (URL "
    "and saved file) or a still-running task_id to pass to get_task. An identical call returns the same "
    "task, not a second charge. Each new job is billed (see cost; dry_run=true estimates first)."
)

INSTRUCTIONS = (
    "Creates and edits videos with Alibaba's Wan models. generate_reference_video makes a new video that "
    "keeps subjects from reference images/videos; edit_video changes an existing video from an instruction; "
    "vace_edit runs the five Wan 2.1 VACE functions (reference images, repainting, masked edit, extension, "
    "outpainting). Media inputs are public http(s) URLs or files on this computer (an absolute path or "
    "file:// URI: the server uploads them for the provider). "
    + _JOB_FLOW
    + " Never resubmit a job because a "
    "call returned 'still running': call get_task with its task_id. If you lost a task_id, call "
    "list_tasks. cancel_task stops a job started by mistake where the provider allows it."
)

TOOLS = {
    "generate_reference_video": (
        "Create a new video with wan2.7-r2v that keeps the people, animals, objects or scene shown in "
        "reference images and/or reference videos: one subject or several interacting, optionally starting "
        "from a given first frame, optionally with a voice per subject (reference_voices). In the prompt "
        'call the inputs "Image 1", "Image 2", ... and "Video 1", ... (numbered per type in list order). '
        "2-15 s (2-10 s with reference videos), 720P or 1080P, with sound. " + _JOB_FLOW
    ),
    "edit_video": (
        "Edit an existing video with wan2.7-videoedit by instruction: change its style (e.g. clay animation, "
        "anime), replace or alter objects, clothing, people or scenery, optionally guided by up to 4 "
        'reference images ("Image 1".. in the prompt). Keeps the whole input (duration 0) or its first '
        "2-10 s; audio_setting keeps or regenerates the soundtrack. " + _JOB_FLOW
    ),
    "vace_edit": (
        "Wan 2.1 VACE (wan2.1-vace-plus) video creation and editing, chosen with `function`: image_reference "
        "(video from 1-3 subject/background images), video_repainting (restyle a video keeping its pose, "
        "depth or edges), video_edit (change only a masked region), video_extension (continue from or into "
        "clips/frames), video_outpainting (widen the frame). Each function needs and accepts only its own "
        "fields (see each field's description); anything else is refused before sending. Output: 5 s, "
        "silent, about 720P. " + _JOB_FLOW
    ),
}

GET_TASK = (
    'Status and result of a video task by its task_id ("<provider>:<id>", as returned by the generating '
    "tools), waiting up to wait_seconds for it to finish while reporting progress. Use it to continue after "
    "a still-running result, or to fetch a finished task's video and saved file again; it works after "
    "server restarts and on any replica. It never submits or pays for anything. A finished video is saved "
    "locally once; results stay at the provider for about 24 hours."
)

CANCEL_TASK = (
    "Cancel a video job by its task_id, to stop paying for a job started by mistake. Ask the user first. "
    "Only DashScope can cancel, and only while the job still waits in its queue; a running job, or a job "
    "at APIYI, Modellix or AI/ML API, keeps running and is billed if it succeeds. The answer says which "
    "happened (cancel.outcome: canceled, refused, not_supported, already_finished, unknown) and the task's "
    "current status; nothing else changes."
)

LIST_TASKS = (
    "List the video tasks this server knows, newest first: task_id, status (as last seen: get_task "
    "refreshes one), model, provider, the start of the prompt, cost and saved file, plus what was spent "
    "today and this month. Use it to find a task_id "
    "you lost (the list survives restarts); filter by status or model. Read-only: it asks no provider "
    "anything."
)
