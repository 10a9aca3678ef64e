"""What a page that draws many rows works out once instead of once a row: links as patterns (one
`url_for` per kind of link, not per row) and the viewer's clock (one time zone, not one a time)."""
import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

EACH = 7_919_191_919_191  # a stand-in for the value that varies from row to row (no real id or name)


def link_prefix(endpoint: str, varying: str, **values: Any) -> str:
    """The link to `endpoint` up to where the `varying` value goes, built once a page: a template
    adds each row's value and what the route puts after it (`links.reply ~ reply.id ~ '/like'`),
    where a url_for a row would cost more than the rest of the row. The value must be one url_for
    would not quote (ids, usernames); tests hold the links so made to the routes' own."""
    url = url_for(endpoint, **(values | {varying: EACH}))
    head, found, _ = url.rpartition(str(EACH))
    if not found:
        raise ValueError(f"{endpoint} does not put {varying} in its address")
    return head


def csrf_input() -> Markup:
    """The form token's hidden input, for a template to repeat in each of its many forms."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())


def viewer_zone() -> ZoneInfo:
    name = getattr(current_user, "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def local_time() -> Callable[[datetime | None], str]:
    """The app's `localdatetime` filter with the viewer's zone looked up once: "4 Mar 2030, 09:15 CET"."""
    zone = viewer_zone()

    def local(value: datetime | None) -> str:
        if value is None:
            return ""
        moment = value.astimezone(zone)
        return moment.strftime("%-d %b %Y, %H:%M ") + (moment.tzname() or "")

    return local


SECRET_WORDS = ("KEY", "SECRET", "PASSWORD", "TOKEN")


def release() -> str:
    """What this running copy of Studio is, for validators (ETags): a digest of its code and
    templates (names, sizes and times) and of its settings (but secrets), worked out once a
    process. Where templates reload on change (development, tests), theirs are looked at again
    each time, so an edit is never answered 304."""
    known = current_app.extensions.setdefault("studio_release", {})
    if "code" not in known:
        settings = sorted((name, value) for name, value in current_app.config.items()
                          if isinstance(value, str | int | float | bool) and not any(word in name for word in SECRET_WORDS))
        known["code"] = _digest(Path(current_app.root_path), "*.py") + hashlib.sha256(repr(settings).encode()).hexdigest()[:12]
    if "templates" not in known or current_app.jinja_env.auto_reload:
        known["templates"] = _digest(Path(current_app.root_path, current_app.template_folder or "templates"), "*.html")
    return known["code"] + known["templates"]


def _digest(folder: Path, pattern: str) -> str:
    facts = [(str(path), stat.st_size, stat.st_mtime_ns) for path in sorted(folder.rglob(pattern)) for stat in [path.stat()]]
    return hashlib.sha256(repr(facts).encode()).hexdigest()[:12]
