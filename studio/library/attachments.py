"""Attachments (a portal message's or deliverable's files, a community post's), checked and kept
by the library's storage: accepted only when the content is what the name says it is, of a kind we
accept, and under the size limit. Executables and scripts are refused whatever they are called. A
refusal names the form field "files", where both the portal's and the community's forms take them."""
import os
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from flask import current_app

from studio.library.probe import sniff
from studio.library.service import describe_bytes, store_file
from studio.refusal import Refused

# Extension -> (content type, what people call it).
ACCEPTED = {
    "jpg": ("image/jpeg", "a JPEG image"), "jpeg": ("image/jpeg", "a JPEG image"), "png": ("image/png", "a PNG image"),
    "gif": ("image/gif", "a GIF image"), "webp": ("image/webp", "a WebP image"),
    "mp4": ("video/mp4", "an MP4 video"), "mov": ("video/quicktime", "a QuickTime video"),
    "webm": ("video/webm", "a WebM video"), "pdf": ("application/pdf", "a PDF document"),
    "txt": ("text/plain", "a text file"), "csv": ("text/csv", "a CSV file"), "md": ("text/markdown", "a text file"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a Word document"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "an Excel workbook"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "a PowerPoint file"),
}
EXECUTABLE_SIGNATURES = (b"MZ", b"\x7fELF", b"#!", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                         b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
OFFICE_FOLDERS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


def content_kind(path: str, head: bytes) -> str | None:
    """The content type the bytes show, or None when we cannot tell what they are."""
    if head.startswith(EXECUTABLE_SIGNATURES):
        return "executable"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    found = sniff(head)
    if found:
        return found[1]
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        for extension, folder in OFFICE_FOLDERS.items():
            if "[Content_Types].xml" in names and any(name.startswith(folder) for name in names):
                return ACCEPTED[extension][0]
        return "application/zip"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 4:  # not just a character cut at the end of the sample
                return None
        return "text/plain"
    return None


def refused(reason: str) -> Refused:
    return Refused(reason, field="files")


def check_attachment(path: str, filename: str | None) -> tuple[str, int]:
    """(content type, size) for an acceptable file, else Refused with the reason."""
    name = PurePath(filename or "file").name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    size = os.path.getsize(path)
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    if size > limit:
        raise refused(f"{name} is {describe_bytes(size)}; attachments may be up to {describe_bytes(limit)}.")
    if size == 0:
        raise refused(f"{name} is empty.")
    with open(path, "rb") as file:
        head = file.read(4096)
    found = content_kind(path, head)
    if found == "executable":
        raise refused(f"{name} is a program; programs cannot be attached.")
    if extension not in ACCEPTED:
        raise refused(f"{name}: .{extension or '(none)'} files cannot be attached. "
                                "Images, videos, PDF, text and Office documents can.")
    expected, described = ACCEPTED[extension]
    plain_text = expected.startswith("text/") and found == "text/plain"
    if found != expected and not plain_text:
        raise refused(f"{name} is named as {described} but its content is not; it was not attached.")
    return expected, size


@dataclass
class CheckedUpload:
    path: str
    filename: str
    content_type: str
    size: int


def check_uploads(uploads: Iterable[Any]) -> list[CheckedUpload]:
    """Every upload (werkzeug FileStorage, already on disk) checked before any is kept, or
    Refused for the first bad one."""
    checked = []
    for upload in uploads:
        content_type, size = check_attachment(upload.stream.name, upload.filename)
        checked.append(CheckedUpload(upload.stream.name, PurePath(upload.filename or "file").name[:255], content_type, size))
    return checked


def store_upload(workspace_id: int, area: str, checked: CheckedUpload) -> str:
    """Keep a checked upload in storage under the workspace; returns its storage key."""
    key = f"{workspace_id}/{area}/{uuid.uuid4().hex}"
    store_file(key, checked.path)
    return key
