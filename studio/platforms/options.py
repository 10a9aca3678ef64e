"""The per-platform choices the composer offers when an account of that platform is chosen, and
the rules that tie a choice to what the platform accepts (a YouTube Short is the Shorts media rule).

Each adapter lists its options with `composer_options(connection, creator_info)`; the composer
renders them as `option-<connection id>-<name>` fields, the preflight checks them, and the engine
hands the chosen values to the adapter's `publish(options=...)`. What the composer allows is what
the adapter sends."""
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.platforms.protocols import Connection, MediaFile
from studio.platforms.rules import Problem


@dataclass(frozen=True)
class Option:
    name: str
    label: str
    kind: str  # select, checkbox or text
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) pairs for a select
    default: object = None
    max_length: int | None = None
    hint: str = ""
    notes: tuple[str, ...] = field(default=())


def values_from(form_data: Mapping[str, str], connection: Connection, options: Sequence[Option]) -> dict[str, Any]:
    """The chosen values for one account. Until the options were shown (no JavaScript, or the
    account was just ticked) the defaults stand; after that an unticked box means no."""
    prefix = f"option-{connection.id}-"
    shown = form_data.get(prefix + "shown") == "1"
    values: dict[str, Any] = {}
    for option in options:
        key = prefix + option.name
        if option.kind == "checkbox":
            values[option.name] = (key in form_data) if shown else bool(option.default)
        else:
            raw = (form_data.get(key) or "").strip()
            values[option.name] = raw if raw else option.default
    return values


def problems_with(platform_key: str, options: Sequence[Option], values: Mapping[str, Any], assets: Sequence[MediaFile],
                  field_for: Callable[[str], str]) -> list[Problem]:
    """What the chosen values would make the platform refuse, each tagged with its field."""
    found = []
    for option in options:
        value = values.get(option.name)
        if option.kind == "select" and value not in (None, "") and value not in {v for v, _ in option.choices}:
            found.append(Problem(f"{option.label}: “{value}” is not one of the choices", field_for(option.name)))
        if option.max_length and value and len(value) > option.max_length:
            found.append(Problem(f"{option.label}: {len(value)} characters; at most {option.max_length}",
                                 field_for(option.name)))
    found.extend(format_problems(platform_key, values.get("format"), assets, field_for("format")))
    return found


def format_problems(platform_key: str, chosen: str | None, assets: Sequence[MediaFile], field_name: str) -> list[Problem]:
    videos = [a for a in assets if a.kind == "video"]
    if not chosen or chosen == "auto":
        return []
    if chosen in ("reel", "short") and (len(assets) != 1 or len(videos) != 1):
        return [Problem(f"A {chosen} is one video", field_name)]
    if chosen == "image" and (len(assets) != 1 or videos):
        return [Problem("A feed image is one image", field_name)]
    if chosen == "carousel" and not 2 <= len(assets) <= 10:
        return [Problem(f"A carousel takes 2 to 10 items; this has {len(assets)}", field_name)]
    return []
