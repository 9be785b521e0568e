"""Real media files for tests, made with the same well-kept libraries the server reads
them with (Pillow, PyAV, the standard library's `wave`): no fixtures of unknown origin."""

from __future__ import annotations

import wave
from pathlib import Path

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
