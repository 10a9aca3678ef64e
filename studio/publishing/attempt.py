"""One attempt at one claimed delivery: talk to the platform and say what happened (an Outcome),
without recording it; `settle` records it. Tokens are refreshed once on an auth error; a post that
may exist already is looked up before it is made again; daily quotas are reserved once per delivery."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from studio.connections.models import PlatformConnection
from studio.connections.service import (
    CannotRefresh,
    fresh_access_token,
    mark_expired,
    refresh_connection,
)
from studio.database import utcnow
from studio.extensions import db
from studio.library.service import signed_file_url
from studio.platforms import get_platform
from studio.platforms.base import Platform, Published
from studio.platforms.errors import (
    AuthError,
    PlatformError,
    RetryableError,
    UncertainError,
)
from studio.publishing import quota
from studio.publishing.lease import LeaseKeeper
from studio.publishing.models import Delivery


@dataclass
class Outcome:
    kind: str  # published, recovered, retry, failed, unconfirmed, quota, lost, released
    result: Published | None = None
    error: Exception | None = None
    message: str = ""
    uncertain: bool = False
    until: datetime | None = None


def attempt(delivery: Delivery, now: datetime | None, progress: dict, keeper: LeaseKeeper | None = None) -> Outcome:
    """Talk to the platform; returns what happened without recording it. `progress` is the
    delivery's resumable state, which the adapter may update as it goes; `keeper` holds the lease
    and is asked before every platform call."""
    connection = delivery.connection
    platform = get_platform(delivery.platform)
    if keeper is not None:
        platform.before_call, platform.create_refused = keeper.before_call, keeper.create_refused
    if connection is None:
        return Outcome("failed", message="The account was disconnected before this could publish.")
    media = [m.asset for m in delivery.post.media]
    text = delivery.post.text_for(connection.id)

    def publish(token: str | None) -> Published:
        try:
            return platform.publish(token, text, media, delivery.client_reference, connection=connection,
                                    options=dict(delivery.options or {}), progress=progress, media_url=signed_file_url)
        except (RetryableError, AuthError) as error:
            if keeper is not None and keeper.create_sent and not isinstance(error, UncertainError):
                # The create call went out and was not refused: whatever failed after it (a status
                # poll, a permalink, a token) says nothing about whether the post exists.
                raise UncertainError(f"{error} This came after the post was sent.", error.status,
                                     error.payload) from error
            raise
        finally:
            remember_pause(connection, platform)

    paused = paused_until(connection)
    if paused is not None:
        return Outcome("quota", message=paused[1], until=paused[0])
    try:
        token = fresh_access_token(connection)
        if delivery.needs_lookup:
            existing = look_up(platform, token, delivery, progress)
            if existing is not None:
                return Outcome("recovered", result=existing)
        wait = charge_quota(platform, delivery, progress, now)
        if wait:
            return Outcome("quota", message=wait["reason"], until=wait["until"])
        try:
            return Outcome("published", result=publish(token))
        except AuthError as refused:
            # Refresh once, then try once more with the new token. Where the platform offers no
            # refresh, the token is simply dead: the account is marked expired with the platform's words.
            try:
                refresh_connection(connection)
            except CannotRefresh:
                mark_expired(connection, str(refused))
                raise refused
            return Outcome("published", result=publish(connection.access_token))
    except UncertainError as error:
        if not platform.can_look_up(progress):
            return Outcome("unconfirmed", uncertain=True, message=f"{error} {platform.name} cannot tell whether the post "
                                                                   "was made: check the account, then retry or cancel.")
        return Outcome("retry", error=error, uncertain=True)
    except RetryableError as error:
        return Outcome("retry", error=error)
    except AuthError as error:
        return Outcome("failed", message=f"{error} Reconnect the account, then retry.", error=error)
    except PlatformError as error:
        return Outcome("failed", message=str(error), error=error)


def paused_until(connection: PlatformConnection) -> tuple[datetime, str] | None:
    """(moment, reason) while the platform asked us to hold this account's posts, else None."""
    held = (connection.details or {}).get("paused_until")
    if not held:
        return None
    moment = datetime.fromisoformat(held["until"])
    return (moment, held["reason"]) if moment > utcnow() else None


def remember_pause(connection: PlatformConnection, platform: Platform) -> None:
    """Keep what the platform said about its limits, so the next publish to this account waits."""
    if platform.pause_until is None:
        return
    moment, reason = platform.pause_until
    connection.details = {**(connection.details or {}), "paused_until": {"until": moment.isoformat(), "reason": reason}}
    db.session.commit()


def charge_quota(platform: Platform, delivery: Delivery, progress: dict, now: datetime | None) -> dict | None:
    """Reserve the platform's units once per delivery: a resumed upload is the same upload."""
    if progress.get("quota_charged"):
        return None
    wait = quota.reserve(platform, now)
    if wait is None and platform.quota() is not None:
        progress["quota_charged"] = True
        # Saved at once: if this worker dies mid-upload, the next attempt must not pay again.
        db.session.execute(update(Delivery).where(Delivery.id == delivery.id).values(progress=dict(progress)))
        db.session.commit()
    return wait


def look_up(platform: Platform, token: str | None, delivery: Delivery, progress: dict) -> Published | None:
    if not platform.can_look_up(progress):
        raise UncertainError("An earlier attempt may have published this already.")
    return platform.find_published(token, delivery.client_reference, progress)
