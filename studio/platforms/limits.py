"""What each platform accepts, from ../shared/PLATFORMS.md: one table for preflight and the UI.
Where sources disagree the stricter documented value is used; platforms change these often."""
from dataclasses import dataclass, field

from studio.platforms.protocols import MediaFile

MB = 1024 * 1024

# Characters a post's text may have (X counts each link as 23).
CAPTION_LIMITS = {"tiktok": 2200, "instagram": 2200, "youtube": 5000, "facebook": 63206, "x": 280,
                  "linkedin": 3000, "sandbox": 5000}
MAX_HASHTAGS = {"instagram": 30}
# How many files one post may carry: X takes up to 4 images, or one video or GIF, never both.
MEDIA_COUNT = {"x": {"image": 4, "video": 1}}


@dataclass(frozen=True)
class MediaRule:
    label: str  # what the user would call this use, e.g. "Instagram Reels"
    kind: str  # video or image
    types: tuple[str, ...]
    max_bytes: int | None = None
    min_seconds: float | None = None
    max_seconds: float | None = None
    aspect: str | None = None  # required aspect ratio, e.g. "9:16"
    orientation: str | None = None
    notes: tuple[str, ...] = field(default=())


MEDIA_RULES = {
    "tiktok": [
        MediaRule("TikTok video", "video", ("video/mp4", "video/quicktime", "video/webm"), 4096 * MB, 3, 600),
        MediaRule("TikTok photo", "image", ("image/jpeg", "image/webp"), 20 * MB),
    ],
    "instagram": [
        MediaRule("Instagram Reels", "video", ("video/mp4", "video/quicktime"), 1024 * MB, 3, 900, aspect="9:16"),
        MediaRule("Instagram image", "image", ("image/jpeg",), 8 * MB),
    ],
    "youtube": [
        MediaRule("YouTube video", "video", ("video/mp4", "video/quicktime", "video/webm"), 256 * 1024 * MB, 1, 900),
        MediaRule("YouTube Shorts", "video", ("video/mp4", "video/quicktime", "video/webm"), None, 1, 180,
                  orientation="vertical"),
    ],
    "facebook": [
        MediaRule("Facebook video", "video", ("video/mp4", "video/quicktime"), 10 * 1024 * MB, 1, 240 * 60),
        MediaRule("Facebook Reels", "video", ("video/mp4", "video/quicktime"), None, 3, 90, aspect="9:16"),
        MediaRule("Facebook photo", "image", ("image/jpeg", "image/png", "image/gif", "image/webp"), 10 * MB),
    ],
    "x": [
        MediaRule("X video", "video", ("video/mp4", "video/quicktime"), 512 * MB, 0.5, 140),
        MediaRule("X image", "image", ("image/jpeg", "image/png", "image/webp"), 5 * MB),
        MediaRule("X GIF", "image", ("image/gif",), 15 * MB),
    ],
    "linkedin": [
        MediaRule("LinkedIn video", "video", ("video/mp4",), 500 * MB, 3, 30 * 60),
        MediaRule("LinkedIn image", "image", ("image/jpeg", "image/png", "image/gif"), 5 * MB),
    ],
}


# A composer's format choice that narrows which media rule applies (a label of MEDIA_RULES).
FORMAT_RULES = {
    ("youtube", "short"): "YouTube Shorts",
    ("youtube", "video"): "YouTube video",
    ("instagram", "reel"): "Instagram Reels",
    ("instagram", "image"): "Instagram image",
    ("facebook", "reel"): "Facebook Reels",
}


def problems(rule: MediaRule, asset: MediaFile) -> list[str]:
    """Why `asset` does not fit `rule`, in words for the user (empty when it fits)."""
    found = []
    if asset.content_type not in rule.types:
        found.append(f"{asset.content_type.split('/')[-1].upper()} is not accepted")
    if rule.max_bytes and asset.size_bytes > rule.max_bytes:
        found.append(f"larger than {rule.max_bytes // MB:,} MB")
    duration = asset.duration_seconds or 0
    if rule.kind == "video" and rule.min_seconds and duration < rule.min_seconds:
        found.append(f"shorter than {rule.min_seconds:g} s")
    if rule.kind == "video" and rule.max_seconds and duration > rule.max_seconds:
        found.append(f"longer than {describe_seconds(rule.max_seconds)}")
    if rule.aspect and asset.aspect_ratio != rule.aspect:
        found.append(f"needs {rule.aspect}, this is {asset.aspect_ratio}")
    if rule.orientation and asset.orientation != rule.orientation:
        found.append(f"needs a {rule.orientation} picture")
    return found


def describe_seconds(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def fit_for(asset: MediaFile) -> list[tuple[MediaRule, list[str]]]:
    """[(rule, problems)] for each platform use that could take this kind of file. A use for
    another file type (X's GIF rule, for a JPEG) is left out unless nothing on that platform
    accepts the type at all."""
    results = []
    for rules in MEDIA_RULES.values():
        same_kind = [rule for rule in rules if rule.kind == asset.kind]
        takes_type = [rule for rule in same_kind if asset.content_type in rule.types]
        for rule in takes_type or same_kind[:1]:
            results.append((rule, problems(rule, asset)))
    return results
