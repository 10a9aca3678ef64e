"""Uploads are parsed straight into named temporary files on disk (Werkzeug would keep small ones
in memory, unnamed): ffmpeg can read them by path, and local storage can hard-link them in place
of a copy. Each file is deleted when the request ends, so an upload cut off leaves nothing."""
import tempfile
from pathlib import Path
from typing import IO

from flask import Request, current_app


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_TMP_FOLDER"] or Path(current_app.instance_path) / "uploads-tmp")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class StudioRequest(Request):
    def _get_file_stream(self, total_content_length: int | None, content_type: str | None, filename: str | None = None,
                         content_length: int | None = None) -> IO[bytes]:
        return tempfile.NamedTemporaryFile("wb+", dir=upload_folder(), prefix="upload-", delete=True)
