"""Uploads are parsed straight into named temporary files on disk (Werkzeug would keep small ones
in memory, unnamed): ffmpeg can read them by path, and local storage can hard-link them in place
of a copy. Each file is deleted when the request ends, so an upload cut off leaves nothing."""
import tempfile
from pathlib import Path

from flask import Request, current_app


def upload_folder():
    folder = Path(current_app.config["UPLOAD_TMP_FOLDER"] or Path(current_app.instance_path) / "uploads-tmp")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class StudioRequest(Request):
    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        return tempfile.NamedTemporaryFile("wb+", dir=upload_folder(), prefix="upload-", delete=True)
