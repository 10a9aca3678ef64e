"""Sending a stored file to the browser, from local disk or the object store."""
from typing import Any

from flask import Response, abort, send_file

from studio.library.storage import LocalStorage, StorageError, storage


def serve(key: str | None, mimetype: str, download_name: str | None = None, public: bool = False) -> Response:
    """The file at `key` (404 when there is none). `public` files (a storefront's pictures) may be
    kept by shared caches for an hour; the rest only by the viewer's browser, for five minutes."""
    if not key:
        abort(404)
    max_age = 3600 if public else 300
    target = storage()
    try:
        if isinstance(target, LocalStorage):
            response = send_file(target.path(key), mimetype=mimetype, conditional=True, download_name=download_name,
                                 max_age=max_age)
            if public:
                response.cache_control.public = True
            return response
        body: Any = target.open(key)  # the object store's streaming body
    except (StorageError, FileNotFoundError):
        abort(404)
    return Response(body.iter_chunks(1024 * 1024), mimetype=mimetype,
                    headers={"Cache-Control": f"{'public' if public else 'private'}, max-age={max_age}"})
