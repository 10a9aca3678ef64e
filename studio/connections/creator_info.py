"""What a platform says a connected account may post now (TikTok's creator info), for the composer.

Asking takes a fresh token, which may mean a refresh and a write, so it happens here beside the
tokens; the adapter only makes the call. The answer is kept in the connection's details and used
for as long as the platform's `creator_info_seconds` allows."""
from studio.connections.models import PlatformConnection
from studio.connections.service import fresh_access_token
from studio.database import utcnow
from studio.extensions import db
from studio.platforms import get_platform
from studio.platforms.errors import PlatformError


def creator_info(connection: PlatformConnection) -> dict:
    """The platform's latest word on what this account may post ({} when it has none, or cannot
    be asked: the composer then offers every choice and the publish checks again)."""
    platform = get_platform(connection.platform)
    if platform.creator_info_seconds is None:
        return {}
    details = dict(connection.details or {})
    cached = details.get("creator_info") or {}
    if cached.get("at", 0) > utcnow().timestamp() - platform.creator_info_seconds or not platform.configured:
        return cached.get("info", {})
    try:
        info = platform.creator_info(fresh_access_token(connection))
    except PlatformError:
        return cached.get("info", {})
    details["creator_info"] = {"at": utcnow().timestamp(), "info": info}
    connection.details = details
    db.session.commit()
    return info
