"""What the community's pages work out once: the release their ETags carry."""
import hashlib
from pathlib import Path

from flask import current_app

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
