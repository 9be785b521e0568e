"""What one call bills: seconds of output at a resolution, plus seconds of input video where a
provider bills them -- exact where the call fixes them, an upper bound where an input's length
is unknown (a URL the server does not fetch)."""

from __future__ import annotations

from dataclasses import dataclass

from wan_video_mcp.inputs.files import LocalFile
from wan_video_mcp.params import EditVideoArgs, GeneratingArgs, ReferenceVideoArgs, VaceEditArgs

# The longest input video each model takes: the bound for one whose length is unknown.
MAX_REFERENCE_VIDEO_SECONDS = 10.0
MAX_EDIT_INPUT_SECONDS = 10.0
# VACE answers with a 5 s video (its documented output length; usage reports video_duration).
VACE_OUTPUT_SECONDS = 5.0


@dataclass(frozen=True)
class Billing:
    resolution: str
    output_seconds: float
    input_seconds: float = 0.0
    bound: str | None = None  # why the seconds are an upper bound, when they are

    @property
    def exact(self) -> bool:
        return self.bound is None

    def seconds(self, with_input: bool) -> float:
        return self.output_seconds + (self.input_seconds if with_input else 0.0)


def billing_of(args: GeneratingArgs, files: list[LocalFile]) -> Billing:
    lengths = {file.item.label: file.facts.seconds for file in files if file.facts is not None}
    if isinstance(args, ReferenceVideoArgs):
        return _reference_video(args, lengths)
    if isinstance(args, EditVideoArgs):
        return _edit(args, lengths)
    return _vace(args)


def _reference_video(args: ReferenceVideoArgs, lengths: dict[str, float | None]) -> Billing:
    inputs = [lengths.get(item.label) for item in args.media() if item.field == "reference_videos"]
    known = [seconds for seconds in inputs if seconds is not None]
    unknown = len(inputs) - len(known)
    return Billing(
        resolution=args.resolution,
        output_seconds=float(args.duration),
        input_seconds=sum(known) + unknown * MAX_REFERENCE_VIDEO_SECONDS,
        bound=f"reference videos given by URL counted at their longest, {MAX_REFERENCE_VIDEO_SECONDS:g} s"
        if unknown
        else None,
    )


def _edit(args: EditVideoArgs, lengths: dict[str, float | None]) -> Billing:
    length = lengths.get("video_url")  # the input's real length, when it is a local file
    source = length if length is not None else MAX_EDIT_INPUT_SECONDS
    # duration 2-10 keeps only the start of the input (a shorter input stays shorter).
    output = min(float(args.duration), source) if args.duration else source
    bound = (
        None
        if length is not None
        else f"the input video's length is unknown (a URL): counted at {source:g} s"
    )
    return Billing(args.resolution, output_seconds=output, input_seconds=source, bound=bound)


def _vace(args: VaceEditArgs) -> Billing:
    del args  # every VACE function is billed per second of its 5 s output at 720P
    return Billing("720P", output_seconds=VACE_OUTPUT_SECONDS)
