"""Real media files for tests, made with the same well-kept libraries the server reads
them with (Pillow, PyAV, the standard library's `wave`): no fixtures of unknown origin."""

from __future__ import annotations

import wave
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from PIL import Image


def png(path: Path, size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (200, 80, 40)) -> Path:
    Image.new("RGB", size, colour).save(path, format="PNG")
    return path


def mp4(path: Path, seconds: float, width: int = 320, height: int = 240, fps: int = 5) -> Path:
    """A small MPEG-4 video of `seconds` (the codec every FFmpeg build has)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(round(seconds * fps)):
            image = Image.new("RGB", (width, height), (index * 7 % 255, 90, 160))
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(b"\x00\x01" * int(seconds * rate))
    return path


def h264(
    path: Path,
    seconds: float,
    rate: Fraction = Fraction(24),
    size: tuple[int, int] = (320, 240),
    sound: bool = False,
    muxer: dict[str, str] | None = None,
) -> Path:
    """An H.264 video as the providers return them (B-frames, so an edit list), optionally
    with AAC sound; `muxer`: FFmpeg's MP4 muxer options ({"movflags": "faststart"}: the index
    first)."""
    with av.open(str(path), "w", options=muxer or {}) as container:
        video = container.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        audio = container.add_stream("aac", rate=16000) if sound else None
        for index in range(round(seconds * rate)):
            image = Image.new("RGB", size, (index * 7 % 255, 90, 160))
            container.mux(video.encode(av.VideoFrame.from_image(image)))
        container.mux(video.encode())
        if audio is not None:
            _silence(container, audio, seconds)
    return path


def _silence(container: Any, audio: Any, seconds: float) -> None:
    for index in range(int(seconds * 16000) // 1024):
        frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
        frame.sample_rate, frame.pts = 16000, index * 1024
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        container.mux(audio.encode(frame))
    container.mux(audio.encode())
