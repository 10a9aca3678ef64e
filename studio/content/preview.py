"""A post as each of its accounts will show it: the account, its own text, the media, and where the
feed folds the caption behind "more" (so a client approves what her audience will see first)."""
from typing import NamedTuple

from studio.platforms import PLATFORM_CLASSES, get_platform
from studio.platforms.limits import CAPTION_LIMITS
from studio.platforms.rules import weighted_length
from studio.publishing.models import Post

# Characters a feed shows before "… more" (desktop where the two differ): Instagram's help centre
# says 125; TikTok about 150; LinkedIn about 210; Facebook about 480. X shows all 280.
FEED_FOLD = {"instagram": 125, "tiktok": 150, "linkedin": 210, "facebook": 480}


class Preview(NamedTuple):
    platform: str
    platform_name: str
    account: str
    display_name: str
    shown: str  # what the feed shows at once
    folded: str  # what "more" reveals
    length: int
    limit: int | None

    @property
    def too_long(self) -> bool:
        return self.limit is not None and self.length > self.limit


def previews_of(post: Post) -> list[Preview]:
    found = []
    for delivery in post.deliveries:
        connection = delivery.connection
        text = post.text_for(delivery.connection_id)
        fold = FEED_FOLD.get(delivery.platform)
        cut = fold_at(text, fold) if fold else len(text)
        name = get_platform(delivery.platform).name if delivery.platform in PLATFORM_CLASSES else delivery.platform
        found.append(Preview(delivery.platform, name, connection.username if connection else "removed account",
                             (connection.display_name or connection.username) if connection else "",
                             text[:cut], text[cut:], weighted_length(text, delivery.platform),
                             CAPTION_LIMITS.get(delivery.platform)))
    return found


def fold_at(text: str, fold: int) -> int:
    """Where the feed cuts: at `fold` characters, back to the last space so no word is split."""
    if len(text) <= fold:
        return len(text)
    space = text.rfind(" ", 0, fold)
    return space if space > fold * 0.6 else fold
