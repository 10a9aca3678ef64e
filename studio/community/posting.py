"""Writing in the community: channels, topics with their files, nested replies, edits with a short
history, likes that count once, bookmarks, and the mentions they carry."""
import re
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from studio.accounts.models import User, Workspace
from studio.community.members import award, check_badges, community_role, profile_for, render
from studio.community.models import (
    Bookmark,
    Channel,
    ChannelType,
    CommunityFile,
    Edit,
    Like,
    MemberProfile,
    Reply,
    Topic,
    TopicType,
)
from studio.community.reading import mark_topic_read
from studio.community.search import index
from studio.community.spam import body_hash, check_links, check_spam
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.library.attachments import check_uploads, store_upload
from studio.notify import service as notify
from studio.notify.mail import MailError, send_mail
from studio.notify.models import NotificationType
from studio.refusal import Refused
from studio.security.sanitize import mentioned_usernames
from studio.urls import path_for, public_base_url

# ---- channels ----------------------------------------------------------------------------------


def channels(workspace: Workspace) -> list[Channel]:
    return list(db.session.execute(select(Channel).where(Channel.workspace_id == workspace.id)
                                   .order_by(Channel.is_archived, Channel.position, Channel.name)).scalars())


def create_channel(workspace: Workspace, name: str, type_: ChannelType, description: str = "", icon: str = "") -> Channel:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:70] or "channel"
    taken = set(db.session.execute(select(Channel.slug).where(Channel.workspace_id == workspace.id)).scalars())
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    channel = Channel(workspace_id=workspace.id, name=name.strip(), slug=slug, type=type_, description=description,
                      icon=icon, position=len(channels(workspace)))
    db.session.add(channel)
    db.session.commit()
    return channel


def check_may_post(channel: Channel, role: str) -> None:
    if channel.is_archived:
        raise Refused("This channel is archived: it can be read, not posted in.")
    if channel.type == ChannelType.ANNOUNCEMENT and role != "moderator":
        raise Refused("Only the team posts in announcement channels. Reply to an announcement instead.")


# ---- topics and replies ------------------------------------------------------------------------


def create_topic(workspace: Workspace, author: User, role: str, channel: Channel, type_: TopicType, title: str, body: str,
                 uploads: Iterable = ()) -> Topic:
    check_may_post(channel, role)
    profile = profile_for(workspace, author)
    digest = check_spam(workspace, author, profile, body, "topic", role)
    checked = check_uploads(uploads)  # every file checked before any is kept
    now = utcnow()
    topic = Topic(workspace_id=workspace.id, channel_id=channel.id, author_id=author.id, type=type_, title=title.strip(),
                  body=body, body_html=render(workspace, body), body_hash=digest, last_activity_at=now, created_at=now)
    db.session.add(topic)
    db.session.flush()
    db.session.add_all([CommunityFile(workspace_id=workspace.id, topic_id=topic.id, filename=upload.filename,
                                      storage_key=store_upload(workspace.id, "community", upload),
                                      content_type=upload.content_type, size_bytes=upload.size) for upload in checked])
    award(workspace.id, author.id, "topic")
    index(workspace, "topic", topic.id, topic.id, topic.title, body)
    mark_topic_read(topic, author)
    db.session.commit()
    url = path_for("community.topic", space=workspace.slug, topic_id=topic.id)
    notify_mentions(workspace, author, body, topic.title, url)
    check_badges(workspace, author.id)
    return topic


def add_reply(workspace: Workspace, topic: Topic, author: User, role: str, body: str, parent: Reply | None = None) -> Reply:
    check_may_reply(topic, role, author)
    profile = profile_for(workspace, author)
    digest = check_spam(workspace, author, profile, body, "reply", role)
    if parent is not None and parent.topic_id != topic.id:
        raise Refused("That reply belongs to another topic.")
    now = utcnow()
    reply = Reply(workspace_id=workspace.id, topic_id=topic.id, parent_id=parent.id if parent else None, author_id=author.id,
                  body=body, body_html=render(workspace, body), body_hash=digest, created_at=now)
    db.session.add(reply)
    db.session.flush()
    db.session.execute(update(Topic).where(Topic.id == topic.id).values(reply_count=Topic.reply_count + 1,
                                                                          last_activity_at=now))
    award(workspace.id, author.id, "reply")
    index(workspace, "reply", reply.id, topic.id, "", body)
    mark_topic_read(topic, author)
    db.session.commit()
    url = path_for("community.topic", space=workspace.slug, topic_id=topic.id, reply=reply.id, _anchor=f"reply-{reply.id}")
    notify_mentions(workspace, author, body, topic.title, url)
    check_badges(workspace, author.id)
    return reply


def check_may_reply(topic: Topic, role: str, user: User) -> None:
    if topic.channel.is_archived:
        raise Refused("This channel is archived: it can be read, not replied to.")
    if topic.is_hidden and role != "moderator" and topic.author_id != user.id:
        raise Refused("This topic is hidden.")


# ---- edits -------------------------------------------------------------------------------------


def may_edit(item: Topic | Reply, user: User, role: str) -> bool:
    return role == "moderator" or item.author_id == user.id


def edit(workspace: Workspace, item: Topic | Reply, user: User, role: str, body: str, title: str | None = None) -> None:
    if not may_edit(item, user, role):
        raise Refused("Only the author or a moderator can edit this.")
    if role != "moderator":
        check_links(profile_for(workspace, user), body)
    if body == item.body and (title is None or title == getattr(item, "title", None)):
        return
    db.session.add(Edit(topic_id=item.id if isinstance(item, Topic) else None,
                        reply_id=item.id if isinstance(item, Reply) else None, editor_id=user.id, previous_body=item.body))
    item.body, item.body_html, item.body_hash, item.edited_at = body, render(workspace, body), body_hash(body), utcnow()
    if isinstance(item, Topic):
        item.title = title.strip() if title else item.title
        index(workspace, "topic", item.id, item.id, item.title, body)
    else:
        index(workspace, "reply", item.id, item.topic_id, "", body)
    db.session.commit()


def edit_history(item: Topic | Reply, limit: int = 5) -> list[Edit]:
    column = Edit.topic_id if isinstance(item, Topic) else Edit.reply_id
    return list(db.session.execute(select(Edit).where(column == item.id).options(joinedload(Edit.editor))
                                   .order_by(Edit.id.desc()).limit(limit)).scalars())


# ---- likes and bookmarks -----------------------------------------------------------------------


def set_like(workspace: Workspace, user: User, want: bool, topic: Topic | None = None,
             reply: Reply | None = None) -> tuple[bool, int]:
    """Like (want=True) or unlike; returns (liked, count). Asking twice is harmless: the unique
    constraint decides a race, two likes at once by one member make one row, and only the request
    that made the row adds to the count."""
    item: Topic | Reply
    model: type[Topic] | type[Reply]
    if topic is not None:
        item, model, column = topic, Topic, Like.topic_id
    elif reply is not None:
        item, model, column = reply, Reply, Like.reply_id
    else:
        raise TypeError("set_like needs a topic or a reply")
    if item.author_id == user.id:
        raise Refused("You cannot like your own post.")
    if not want:
        removed = changed_rows(db.session.execute(delete(Like).where(Like.user_id == user.id, column == item.id)))
        if removed:
            db.session.execute(update(model).where(model.id == item.id).values(like_count=model.like_count - 1))
            award(workspace.id, item.author_id, "like", sign=-1)
        db.session.commit()
        return False, current_count(model, item.id)
    try:
        with db.session.begin_nested():
            db.session.add(Like(workspace_id=workspace.id, user_id=user.id, topic_id=topic.id if topic else None,
                                reply_id=reply.id if reply else None))
    except IntegrityError:  # already liked (perhaps by this member's other click, just now)
        db.session.rollback()
        return True, current_count(model, item.id)
    db.session.execute(update(model).where(model.id == item.id).values(like_count=model.like_count + 1))
    award(workspace.id, item.author_id, "like")
    db.session.commit()
    check_badges(workspace, item.author_id)
    return True, current_count(model, item.id)


def current_count(model: type[Topic] | type[Reply], item_id: int) -> int:
    return db.session.execute(select(model.like_count).where(model.id == item_id)).scalar_one()


def toggle_bookmark(workspace: Workspace, user: User, topic: Topic) -> bool:
    """Bookmark the topic, or take the bookmark away; True when it is bookmarked now."""
    removed = changed_rows(db.session.execute(delete(Bookmark).where(Bookmark.user_id == user.id, Bookmark.topic_id == topic.id)))
    if not removed:
        try:
            with db.session.begin_nested():
                db.session.add(Bookmark(workspace_id=workspace.id, user_id=user.id, topic_id=topic.id))
        except IntegrityError:
            pass
    db.session.commit()
    return not removed


# ---- mentions ----------------------------------------------------------------------------------


def notify_mentions(workspace: Workspace, author: User, source: str, title: str, url: str) -> None:
    names = mentioned_usernames(source)
    if not names:
        return
    profiles = db.session.execute(select(MemberProfile).where(MemberProfile.workspace_id == workspace.id,
                                                              func.lower(MemberProfile.username).in_(names))).scalars().all()
    for profile in profiles:
        if profile.user_id != author.id and community_role(workspace, profile.user) is not None:
            notify.notify(profile.user_id, NotificationType.MENTION, f"{author.name} mentioned you", title, url, workspace_id=workspace.id)
            if profile.email_notifications:
                email_mention(workspace, author, profile, source, title, url)


def email_mention(workspace: Workspace, author: User, profile: MemberProfile, source: str, title: str, url: str) -> None:
    try:
        send_mail(profile.user.email, f"{author.name} mentioned you in “{title}”", "community_mention",
                  workspace=workspace, author=author, profile=profile, excerpt=source[:600], title=title,
                  link=public_base_url() + url)
    except MailError as error:
        current_app.logger.warning("mention e-mail to %s failed: %s", profile.user.email, error)
