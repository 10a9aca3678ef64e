"""Media files made by ffmpeg (from imageio-ffmpeg) for the tests: real videos and images."""
import subprocess

import imageio_ffmpeg


def ffmpeg(*args):
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args], check=True, timeout=120)


def make_video(path, width=360, height=640, seconds=3, noise=False):
    """An H.264 + AAC MP4; with noise the picture barely compresses, for a file of some size."""
    source = f"testsrc2=size={width}x{height}:rate=30" if not noise else f"nullsrc=size={width}x{height}:rate=30,geq=random(1)*255:128:128"
    ffmpeg("-f", "lavfi", "-i", source, "-f", "lavfi", "-i", "sine=frequency=440", "-t", str(seconds),
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path))
    return path


def make_image(path, width=800, height=1000):
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={width}x{height}", "-frames:v", "1", str(path))
    return path
