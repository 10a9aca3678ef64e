"""What a file is, read from its content: a quick sniff of the first bytes, then ffmpeg (from the
imageio-ffmpeg package) for duration, size, codecs and frame rate, and a thumbnail."""
import math
import os
import subprocess
from collections.abc import Callable
from typing import TypedDict

import imageio_ffmpeg

THUMBNAIL_WIDTH = 480

# (kind, content type, extension) for the leading bytes of the formats we accept.
SIGNATURES: list[tuple[Callable[[bytes], bool], tuple[str, str, str]]] = [
    (lambda head: head[4:8] == b"ftyp" and head[8:10] == b"qt", ("video", "video/quicktime", "mov")),
    (lambda head: head[4:8] == b"ftyp", ("video", "video/mp4", "mp4")),
    (lambda head: head[:4] == b"\x1a\x45\xdf\xa3", ("video", "video/webm", "webm")),
    (lambda head: head[:3] == b"\xff\xd8\xff", ("image", "image/jpeg", "jpg")),
    (lambda head: head[:8] == b"\x89PNG\r\n\x1a\n", ("image", "image/png", "png")),
    (lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP", ("image", "image/webp", "webp")),
    (lambda head: head[:6] in (b"GIF87a", b"GIF89a"), ("image", "image/gif", "gif")),
]
COMMON_RATIOS = {"9:16": 9 / 16, "16:9": 16 / 9, "1:1": 1.0, "4:5": 4 / 5, "5:4": 5 / 4, "4:3": 4 / 3,
                 "3:4": 3 / 4, "2:3": 2 / 3, "3:2": 3 / 2, "1.91:1": 1.91, "21:9": 21 / 9}


class ProbeError(Exception):
    pass


class Facts(TypedDict):
    """What `probe` reads from a file: the MediaAsset columns of the same names."""

    width: int
    height: int
    duration_seconds: float | None
    video_codec: str
    audio_codec: str | None
    frame_rate: float | None
    aspect_ratio: str
    orientation: str


def sniff(head: bytes) -> tuple[str, str, str] | None:
    """(kind, content type, extension) from a file's first bytes, or None for anything else."""
    for matches, found in SIGNATURES:
        if matches(head):
            return found
    return None


def ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def probe(path: str | os.PathLike[str]) -> Facts:
    """Duration, size, codecs and frame rate; ProbeError when ffmpeg cannot read the file."""
    try:
        frames = imageio_ffmpeg.read_frames(str(path))
        meta = next(frames)
        frames.close()
    except (OSError, StopIteration, RuntimeError) as error:
        raise ProbeError("The file could not be read as a video or image; it may be damaged or cut short.") from error
    width, height = meta.get("size") or (0, 0)
    if not width or not height:
        raise ProbeError("The file has no picture we can read.")
    return {
        "width": width,
        "height": height,
        "duration_seconds": float(meta.get("duration") or 0) or None,
        "video_codec": (meta.get("codec") or "").rstrip(","),
        "audio_codec": meta.get("audio_codec"),
        "frame_rate": float(meta["fps"]) if meta.get("fps") else None,
        "aspect_ratio": aspect_ratio(width, height),
        "orientation": orientation(width, height),
    }


def check_decodes(path: str | os.PathLike[str], kind: str) -> None:
    """Decode the first frame: a file whose header reads but whose picture does not is refused."""
    result = subprocess.run([ffmpeg(), "-v", "error", "-i", str(path), "-frames:v", "1", "-f", "null", "-"],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise ProbeError("The file could not be decoded; it may be damaged or cut short.")


def aspect_ratio(width: int, height: int) -> str:
    ratio = width / height
    name, value = min(COMMON_RATIOS.items(), key=lambda item: abs(item[1] - ratio))
    if abs(value - ratio) / value < 0.02:
        return name
    divisor = math.gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


def orientation(width: int, height: int) -> str:
    if abs(width - height) / max(width, height) < 0.02:
        return "square"
    return "vertical" if height > width else "horizontal"


def make_thumbnail(source: str | os.PathLike[str], target: str | os.PathLike[str], kind: str,
                   duration_seconds: float | None) -> None:
    """A JPEG at most 480 px wide: a frame a tenth of the way in for videos, the picture for images."""
    seek = ["-ss", f"{min(1.0, (duration_seconds or 0) / 10):.2f}"] if kind == "video" else []
    command = [ffmpeg(), "-v", "error", "-y", *seek, "-i", str(source), "-frames:v", "1",
               "-vf", f"scale='min({THUMBNAIL_WIDTH},iw)':-2", "-q:v", "4", str(target)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise ProbeError(f"No thumbnail could be made: {result.stderr.strip()[-200:]}")
