"""Upload a 500 MB video through the running app and measure speed and the server's memory.

Starts the studio in a child process on loopback (SQLite, local storage, a temporary folder),
logs in, streams one multipart upload of a 500 MB QuickTime file (raw video, made by ffmpeg in a
second), and reads the server's resident memory from /proc before and at its peak. The last line:

    upload_mb=500 seconds=S mb_per_s=R copy_ratio=C peak_rss_mb=M

copy_ratio is the app's throughput divided by a plain file copy of the same bytes in the same run;
peak_rss_mb is the server's peak resident memory above its idle size.

    .venv/bin/python bench/upload.py
"""
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
import requests

ROOT = Path(__file__).resolve().parent.parent
EMAIL, PASSWORD = "bench@example.com", "quiet-harbor-lantern-9"
FRAME_BYTES = 1280 * 720 * 2  # one uyvy422 frame at 720p (raw video QuickTime can hold)
TARGET_BYTES = 500 * 1024 * 1024


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_video(path):
    frames = TARGET_BYTES // FRAME_BYTES + 1
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc2=size=1280x720:rate=30", "-frames:v", str(frames), "-c:v", "rawvideo",
                    "-pix_fmt", "uyvy422", str(path)], check=True)
    return path


def rss_mb(pid, field="VmRSS"):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024


def start_server(folder, port):
    env = {**os.environ, "STUDIO_INSTANCE_PATH": str(folder), "DATABASE_URL": f"sqlite:///{folder}/bench.db",
           "SCHEDULER_ENABLED": "false", "VIDEO_MAX_MB": "1024", "STUDIO_ENV": "development"}
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "studio", "create-user", "--email", EMAIL, "--name", "Bench", "--password", PASSWORD],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [sys.executable, "-c", f"import app; app.app.run(host='127.0.0.1', port={port}, threaded=True)"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return server
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("the studio did not start")


def log_in(base):
    session = requests.Session()
    page = session.get(f"{base}/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    home = session.post(f"{base}/login", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD})
    library = session.get(home.url.rstrip("/") + "/library/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', library.text).group(1)
    return session, token, library.url


def stream_upload(port, path, session, token, library_url):
    """One multipart POST, the file sent in 1 MB pieces as it is read (never whole in memory)."""
    boundary = "studio-bench-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"bench.mov\"\r\n"
            f"Content-Type: video/quicktime\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    upload_path = library_url.split(str(port), 1)[1] + "upload"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.putrequest("POST", upload_path)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + path.stat().st_size + len(tail)))
    connection.putheader("Cookie", "; ".join(f"{c.name}={c.value}" for c in session.cookies))
    connection.endheaders()
    connection.send(head)
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1024 * 1024), b""):
            connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    response.read()
    if response.status != 303:
        raise SystemExit(f"upload answered {response.status}")


def main():
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as folder:
        folder = Path(folder)
        video = make_video(folder / "bench.mov")
        size_mb = video.stat().st_size / (1024 * 1024)

        start = time.perf_counter()
        shutil.copyfile(video, folder / "plain-copy.mov")
        copy_seconds = time.perf_counter() - start
        (folder / "plain-copy.mov").unlink()

        port = free_port()
        server = start_server(folder / "instance", port)
        try:
            base = f"http://127.0.0.1:{port}"
            session, token, library_url = log_in(base)
            idle = rss_mb(server.pid)
            start = time.perf_counter()
            stream_upload(port, video, session, token, library_url)
            seconds = time.perf_counter() - start
            peak = rss_mb(server.pid, "VmHWM")
            flashes = re.findall(r'class="flash flash-(\w+)" role="status">([^<]+)', session.get(library_url).text)
        finally:
            server.terminate()
            server.wait(timeout=10)
        stored = list((folder / "instance" / "media").rglob("*.mov"))
        if not (len(stored) == 1 and stored[0].stat().st_size == video.stat().st_size):
            raise SystemExit(f"the upload was not stored whole: {flashes}")

    mb_per_s = size_mb / seconds
    copy_ratio = mb_per_s / (size_mb / copy_seconds)
    print(f"server idle rss {idle:.0f} MB, peak {peak:.0f} MB; plain copy {size_mb / copy_seconds:.0f} MB/s")
    print(f"upload_mb={size_mb:.0f} seconds={seconds:.2f} mb_per_s={mb_per_s:.0f} copy_ratio={copy_ratio:.2f} "
          f"peak_rss_mb={peak - idle:.0f}")


if __name__ == "__main__":
    main()
