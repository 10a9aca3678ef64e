"""What a platform would refuse about a post, checked before it is scheduled: the text's length and
hashtags, how many files and of which kinds, and each file against the platform's media rules.
The tables are in `limits`; the composer's per-platform choices are checked in `options`; an
adapter adds its own in `option_problems`."""
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from studio.platforms.limits import (
    CAPTION_LIMITS,
    FORMAT_RULES,
    MAX_HASHTAGS,
    MEDIA_COUNT,
    MEDIA_RULES,
    problems,
)
from studio.platforms.protocols import MediaFile

if TYPE_CHECKING:
    from studio.platforms.base import Platform

URL = re.compile(r"https?://\S+")
HASHTAG = re.compile(r"(?<!\w)#\w+")


class Problem(str):
    """Something a platform would refuse, in words for the user, and the form field it is about
    (message, media, or one of an account's option fields) so the composer can show it there."""

    field: str

    def __new__(cls, text: str, field: str = "message") -> "Problem":
        problem = super().__new__(cls, text)
        problem.field = field
        return problem


def weighted_length(text: str, platform_key: str) -> int:
    """X counts every link as 23 characters; the others count characters."""
    if platform_key == "x":
        return len(URL.sub("x" * 23, text))
    return len(text)


def text_problems(platform: "Platform", text: str, field: str) -> list[Problem]:
    """The text against the platform's length (as it counts it) and hashtag limits."""
    found = []
    limit = CAPTION_LIMITS.get(platform.key)
    length = weighted_length(text, platform.key)
    if limit and length > limit:
        found.append(Problem(f"{length:,} characters; {platform.name} allows {limit:,}", field))
    hashtags = len(HASHTAG.findall(text))
    if platform.key in MAX_HASHTAGS and hashtags > MAX_HASHTAGS[platform.key]:
        found.append(Problem(f"{hashtags} hashtags; at most {MAX_HASHTAGS[platform.key]}", field))
    return found


def media_count_problems(platform: "Platform", assets: Sequence[MediaFile]) -> list[Problem]:
    """How many files of which kinds one post may carry (X: up to 4 images, or one video)."""
    rule = MEDIA_COUNT.get(platform.key)
    if not rule or not assets:
        return []
    kinds = {asset.kind for asset in assets}
    if len(kinds) > 1:
        return [Problem(f"{platform.name} takes images or a video, not both in one post", "media")]
    kind = kinds.pop()
    if len(assets) > rule[kind]:
        return [Problem(f"{len(assets)} {kind}s; {platform.name} takes at most {rule[kind]}", "media")]
    return []


def media_problems(platform_key: str, assets: Sequence[MediaFile], chosen_format: str | None) -> list[Problem]:
    """Each file against the platform's rules: the rule the chosen format names (a YouTube Short),
    else any rule of the file's kind that it fits."""
    found = []
    rules = MEDIA_RULES.get(platform_key, [])
    named = FORMAT_RULES.get((platform_key, chosen_format)) if chosen_format else None
    for asset in assets:
        candidates = [rule for rule in rules if rule.kind == asset.kind and (named is None or rule.label == named)]
        if candidates and all(problems(rule, asset) for rule in candidates):
            found.append(Problem(f"“{asset.title}”: " + "; ".join(problems(candidates[0], asset)) +
                                 (f" ({candidates[0].label})" if named else ""), "media"))
        if asset.status != "ready":
            found.append(Problem(f"“{asset.title}” is still {asset.status}", "media"))
    return found
