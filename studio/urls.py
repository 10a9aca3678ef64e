"""Links that do not need a request: for services, jobs and the engine as well as views."""
from typing import Any

from flask import current_app, has_request_context, request, url_for


def public_base_url() -> str:
    """Where this studio is reached from outside: PUBLIC_URL, else the current request's host."""
    if current_app.config.get("PUBLIC_URL"):
        return current_app.config["PUBLIC_URL"]
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://127.0.0.1:5000"


def path_for(endpoint: str, **values: Any) -> str:
    """The path of a page, also from a job or a service with no request (for links kept in rows)."""
    if has_request_context():
        return url_for(endpoint, **values)
    anchor = values.pop("_anchor", None)
    return current_app.url_map.bind("localhost").build(endpoint, values) + (f"#{anchor}" if anchor else "")


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mails: on PUBLIC_URL when set, so a forged Host header cannot steer it."""
    base = current_app.config.get("PUBLIC_URL")
    if not has_request_context():  # a job or the engine: no request to take a host from
        return public_base_url() + path_for(endpoint, **values)
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
