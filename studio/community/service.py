"""The community's rules: who may post where, anti-spam, likes that count once, solved answers,
points and badges, moderation, unread markers, search, direct messages and events."""
import hashlib
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    and_,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from studio.accounts.models import Membership, User
from studio.community.models import (
    Bookmark,
    Channel,
    Conversation,
    DirectMessage,
    Edit,
    Event,
    EventRSVP,
    Like,
    MemberProfile,
    PointsEntry,
    Reply,
    Report,
    Topic,
    TopicRead,
)
from studio.database import utcnow
from studio.extensions import db
from studio.notify import service as notify
from studio.portal.models import Client
from studio.schedule_rules import instant_has_passed
from studio.security.sanitize import count_links, mentioned_usernames, render_markdown
from studio.urls import path_for

MODERATOR_ROLES = ("owner", "admin", "editor")
FEED_PAGE = 25
UNREAD_WINDOW_DAYS = 7
NEW_MEMBER_DAYS = 7
BADGES = {
    "first-post": ("First post", "Started a first topic"),
    "conversation-starter": ("Conversation starter", "Started 10 topics"),
    "helpful": ("Helpful", "Gave an answer marked helpful"),
    "popular": ("Popular", "Received 10 likes"),
    "regular": ("Regular", "Wrote 25 replies"),
}


class Refused(Exception):
    """The community's rules say no; the message is for the member, `field` where to show it."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


# ---- who is in the community -------------------------------------------------------------------


def role_for(workspace_role):
    """The community part of a workspace role: its owners, admins and editors moderate."""
    return "moderator" if workspace_role in MODERATOR_ROLES else "member"


def community_role(workspace, user):
    """"moderator" for the team that runs it, "member" for its viewers and clients, else None."""
    role = db.session.execute(select(Membership.role).where(Membership.workspace_id == workspace.id,
                                                            Membership.user_id == user.id)).scalar_one_or_none()
    if role is not None:
        return role_for(role)
    client = db.session.execute(select(Client.id).where(Client.workspace_id == workspace.id, Client.user_id == user.id,
                                                        Client.status != "archived")).first()
    return "member" if client else None


def username_from(name):
    base = re.sub(r"[^a-z0-9_]", "", (name or "member").lower().replace(" ", "_"))[:24] or "member"
    return base if len(base) >= 2 else f"{base}_member"


def profile_for(workspace, user):
    """The member's profile in this community, made on first visit with a free username."""
    profile = db.session.execute(select(MemberProfile).where(MemberProfile.workspace_id == workspace.id,
                                                             MemberProfile.user_id == user.id)).scalar_one_or_none()
    if profile is not None:
        return profile
    base = username_from(user.name)
    taken = set(db.session.execute(select(MemberProfile.username).where(
        MemberProfile.workspace_id == workspace.id, MemberProfile.username.like(f"{base}%"))).scalars())
    username, number = base, 1
    while username in taken:
        number += 1
        username = f"{base}{number}"
    profile = MemberProfile(workspace_id=workspace.id, user_id=user.id, username=username)
    db.session.add(profile)
    try:
        db.session.commit()
    except IntegrityError:  # made at the same moment by another request
        db.session.rollback()
        return profile_for(workspace, user)
    return profile


def profile_by_username(workspace, username):
    return db.session.execute(select(MemberProfile).where(MemberProfile.workspace_id == workspace.id,
                                                          func.lower(MemberProfile.username) == username.lower())
                              ).scalar_one_or_none()


def mention_linker(workspace):
    def link(username):
        profile = profile_by_username(workspace, username)
        return path_for("community.profile", space=workspace.slug, username=profile.username) if profile else None
    return link


def render(workspace, source):
    return render_markdown(source, mention_linker(workspace))


BIO_LIMIT = 1_000  # the column's length


def update_profile(profile, username, bio, location, links, allow_dms, email_notifications):
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9_]{2,30}", username):
        raise Refused("Use 2 to 30 letters, digits or underscores.", "username")
    if len(bio.strip()) > BIO_LIMIT:
        raise Refused(f"Use at most {BIO_LIMIT:,} characters.", "bio")
    other = profile_by_username_any(profile.workspace_id, username)
    if other is not None and other.id != profile.id:
        raise Refused(f"@{username} is taken.", "username")
    profile.username, profile.bio, profile.location = username, bio.strip(), location.strip()
    profile.bio_html = render_markdown(profile.bio)
    profile.links, profile.allow_dms, profile.email_notifications = links, allow_dms, email_notifications
    db.session.commit()


def profile_by_username_any(workspace_id, username):
    return db.session.execute(select(MemberProfile).where(MemberProfile.workspace_id == workspace_id,
                                                          func.lower(MemberProfile.username) == username.lower())
                              ).scalar_one_or_none()


# ---- channels ----------------------------------------------------------------------------------


def channels(workspace):
    return db.session.execute(select(Channel).where(Channel.workspace_id == workspace.id)
                              .order_by(Channel.is_archived, Channel.position, Channel.name)).scalars().all()


def create_channel(workspace, name, type_, description="", icon=""):
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


def check_may_post(channel, role):
    if channel.is_archived:
        raise Refused("This channel is archived: it can be read, not posted in.")
    if channel.type == "ANNOUNCEMENT" and role != "moderator":
        raise Refused("Only the team posts in announcement channels. Reply to an announcement instead.")


# ---- anti-spam ---------------------------------------------------------------------------------


def body_hash(body):
    return hashlib.sha256(" ".join(body.lower().split()).encode()).hexdigest()


def is_new_member(profile):
    return profile.created_at > utcnow() - timedelta(days=NEW_MEMBER_DAYS) and profile.points < 20


def check_spam(workspace, user, profile, body, kind, role="member", now=None):
    """Posting limits per member (stricter for new members), fewer links for new members, and
    never the same text twice within ten minutes. The team that moderates is not limited."""
    now = now or utcnow()
    if role == "moderator":
        return body_hash(body)
    new = is_new_member(profile)
    limits = current_app.config["COMMUNITY_RATE_LIMITS"]["new" if new else "member"]
    window = now - timedelta(minutes=10)
    topics = db.session.execute(select(func.count()).select_from(Topic).where(
        Topic.workspace_id == workspace.id, Topic.author_id == user.id, Topic.created_at > window)).scalar_one()
    replies = db.session.execute(select(func.count()).select_from(Reply).where(
        Reply.workspace_id == workspace.id, Reply.author_id == user.id, Reply.created_at > window)).scalar_one()
    if kind == "topic" and topics >= limits["topics"]:
        raise Refused(f"You can start {limits['topics']} topics every 10 minutes; please wait a little.", "body")
    if kind == "reply" and replies >= limits["replies"]:
        raise Refused(f"You can post {limits['replies']} replies every 10 minutes; please wait a little.", "body")
    if count_links(body) > limits["links"]:
        raise Refused(f"{'New members' if new else 'Members'} can include at most {limits['links']} links in a post.",
                      "body")
    digest = body_hash(body)
    duplicate = db.session.execute(select(Topic.id).where(Topic.author_id == user.id, Topic.body_hash == digest,
                                                          Topic.created_at > window).limit(1)).first() or \
        db.session.execute(select(Reply.id).where(Reply.author_id == user.id, Reply.body_hash == digest,
                                                  Reply.created_at > window).limit(1)).first()
    if duplicate:
        raise Refused("You posted this same text a few minutes ago.", "body")
    return digest


# ---- points and badges -------------------------------------------------------------------------


def award(workspace_id, user_id, kind, sign=1):
    points = current_app.config["COMMUNITY_POINTS"].get(kind, 0) * sign
    if not points or user_id is None:
        return
    db.session.add(PointsEntry(workspace_id=workspace_id, user_id=user_id, points=points, reason=kind))
    db.session.execute(update(MemberProfile).where(MemberProfile.workspace_id == workspace_id,
                                                   MemberProfile.user_id == user_id)
                       .values(points=MemberProfile.points + points))


def check_badges(workspace, user_id):
    """Award the badges whose rule the member now meets (each once), with a notification."""
    if user_id is None:
        return
    profile = db.session.execute(select(MemberProfile).where(MemberProfile.workspace_id == workspace.id,
                                                             MemberProfile.user_id == user_id)).scalar_one_or_none()
    if profile is None:
        return
    have = {badge["key"] for badge in profile.badges or []}
    topics = db.session.execute(select(func.count()).select_from(Topic).where(
        Topic.workspace_id == workspace.id, Topic.author_id == user_id)).scalar_one()
    replies = db.session.execute(select(func.count()).select_from(Reply).where(
        Reply.workspace_id == workspace.id, Reply.author_id == user_id)).scalar_one()
    helpful = db.session.execute(select(func.count()).select_from(Reply).where(
        Reply.workspace_id == workspace.id, Reply.author_id == user_id, Reply.is_helpful.is_(True))).scalar_one()
    likes = db.session.execute(select(func.coalesce(func.sum(Topic.like_count), 0)).where(
        Topic.workspace_id == workspace.id, Topic.author_id == user_id)).scalar_one() + db.session.execute(
        select(func.coalesce(func.sum(Reply.like_count), 0)).where(
            Reply.workspace_id == workspace.id, Reply.author_id == user_id)).scalar_one()
    earned = {"first-post": topics >= 1, "conversation-starter": topics >= 10, "helpful": helpful >= 1,
              "popular": likes >= 10, "regular": replies >= 25}
    new = [key for key, met in earned.items() if met and key not in have]
    if not new:
        return
    profile.badges = [*(profile.badges or []), *({"key": key, "at": utcnow().isoformat()} for key in new)]
    db.session.commit()
    for key in new:
        notify.notify(user_id, "BADGE", f"New badge: {BADGES[key][0]}", BADGES[key][1],
                      path_for("community.profile", space=workspace.slug, username=profile.username),
                      workspace_id=workspace.id)


def leaderboard(workspace, period, limit=20):
    """[(username, points)] for the week, the month or all time."""
    if period == "all":
        rows = db.session.execute(select(MemberProfile.username, MemberProfile.points)
                                  .where(MemberProfile.workspace_id == workspace.id, MemberProfile.points > 0)
                                  .order_by(MemberProfile.points.desc(), MemberProfile.username).limit(limit)).all()
        return [(name, points) for name, points in rows]
    since = utcnow() - timedelta(days=7 if period == "week" else 30)
    total = func.sum(PointsEntry.points).label("total")
    rows = db.session.execute(
        select(MemberProfile.username, total).join(MemberProfile, and_(MemberProfile.user_id == PointsEntry.user_id,
                                                                       MemberProfile.workspace_id == PointsEntry.workspace_id))
        .where(PointsEntry.workspace_id == workspace.id, PointsEntry.created_at >= since)
        .group_by(MemberProfile.username).having(total > 0).order_by(total.desc(), MemberProfile.username).limit(limit)).all()
    return [(name, points) for name, points in rows]


# ---- mentions ----------------------------------------------------------------------------------


def notify_mentions(workspace, author, source, title, url):
    names = mentioned_usernames(source)
    if not names:
        return
    profiles = db.session.execute(select(MemberProfile).where(MemberProfile.workspace_id == workspace.id,
                                                              func.lower(MemberProfile.username).in_(names))).scalars().all()
    for profile in profiles:
        if profile.user_id != author.id and community_role(workspace, profile.user) is not None:
            notify.notify(profile.user_id, "MENTION", f"{author.name} mentioned you", title, url, workspace_id=workspace.id)
            if profile.email_notifications:
                email_mention(workspace, author, profile, source, title, url)


def email_mention(workspace, author, profile, source, title, url):
    from studio.notify.mail import MailError, send_mail
    from studio.urls import public_base_url

    try:
        send_mail(profile.user.email, f"{author.name} mentioned you in “{title}”", "community_mention",
                  workspace=workspace, author=author, profile=profile, excerpt=source[:600], title=title,
                  link=public_base_url() + url)
    except MailError as error:
        current_app.logger.warning("mention e-mail to %s failed: %s", profile.user.email, error)


# ---- topics and replies ------------------------------------------------------------------------


def create_topic(workspace, author, role, channel, type_, title, body, uploads=()):
    check_may_post(channel, role)
    profile = profile_for(workspace, author)
    digest = check_spam(workspace, author, profile, body, "topic", role)
    checked = checked_uploads(uploads)
    now = utcnow()
    topic = Topic(workspace_id=workspace.id, channel_id=channel.id, author_id=author.id, type=type_, title=title.strip(),
                  body=body, body_html=render(workspace, body), body_hash=digest, last_activity_at=now, created_at=now)
    db.session.add(topic)
    db.session.flush()
    store_files(workspace, topic, checked)
    award(workspace.id, author.id, "topic")
    index(workspace, "topic", topic.id, topic.id, topic.title, body)
    mark_topic_read(topic, author)
    db.session.commit()
    url = path_for("community.topic", space=workspace.slug, topic_id=topic.id)
    notify_mentions(workspace, author, body, topic.title, url)
    check_badges(workspace, author.id)
    return topic


def store_files(workspace, topic, checked):
    from studio.community.models import CommunityFile
    from studio.portal.files import store_upload

    db.session.add_all([CommunityFile(workspace_id=workspace.id, topic_id=topic.id, filename=upload.filename,
                                      storage_key=store_upload(workspace.id, "community", upload),
                                      content_type=upload.content_type, size_bytes=upload.size) for upload in checked])


def checked_uploads(uploads):
    from studio.portal.files import AttachmentRefused, check_uploads

    try:
        return check_uploads(uploads)
    except AttachmentRefused as refusal:
        raise Refused(str(refusal), "files") from refusal


def add_reply(workspace, topic, author, role, body, parent=None):
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
    url = path_for("community.topic", space=workspace.slug, topic_id=topic.id, _anchor=f"reply-{reply.id}")
    notify_mentions(workspace, author, body, topic.title, url)
    check_badges(workspace, author.id)
    return reply


def check_may_reply(topic, role, user):
    if topic.channel.is_archived:
        raise Refused("This channel is archived: it can be read, not replied to.")
    if topic.is_hidden and role != "moderator" and topic.author_id != user.id:
        raise Refused("This topic is hidden.")


def may_edit(item, user, role):
    return role == "moderator" or item.author_id == user.id


def edit(workspace, item, user, role, body, title=None):
    if not may_edit(item, user, role):
        raise Refused("Only the author or a moderator can edit this.")
    if role != "moderator":
        profile = profile_for(workspace, user)
        limit = current_app.config["COMMUNITY_RATE_LIMITS"]["new" if is_new_member(profile) else "member"]["links"]
        if count_links(body) > limit:
            raise Refused(f"{'New members' if is_new_member(profile) else 'Members'} can include at most {limit} links "
                          "in a post.", "body")
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


def edit_history(item, limit=5):
    column = Edit.topic_id if isinstance(item, Topic) else Edit.reply_id
    return db.session.execute(select(Edit).where(column == item.id).options(joinedload(Edit.editor))
                              .order_by(Edit.id.desc()).limit(limit)).scalars().all()


def set_hidden(item, user, role, hidden):
    """Authors hide their own posts and may show them again; what a moderator hid, only a
    moderator shows again."""
    if not may_edit(item, user, role):
        raise Refused("Only the author or a moderator can hide this.")
    if not hidden and role != "moderator" and item.hidden_by_id != user.id:
        raise Refused("A moderator hid this; only a moderator can show it again.")
    item.is_hidden, item.hidden_by_id = hidden, user.id if hidden else None
    db.session.commit()


def set_pinned(topic, role, pinned):
    if role != "moderator":
        raise Refused("Only moderators pin topics.")
    topic.is_pinned = pinned
    db.session.commit()


def mark_helpful(workspace, topic, reply, user, role):
    """The topic's author or a moderator marks the answer that solved it (one per topic)."""
    if not (role == "moderator" or topic.author_id == user.id):
        raise Refused("Only the person who asked, or a moderator, can mark the helpful answer.")
    if reply.topic_id != topic.id:
        raise Refused("That reply belongs to another topic.")
    if reply.author_id == topic.author_id:
        raise Refused("The helpful answer is someone else's reply.")
    if reply.is_helpful:
        return
    previous = db.session.execute(select(Reply).where(Reply.topic_id == topic.id, Reply.is_helpful.is_(True))).scalar_one_or_none()
    if previous is not None:
        previous.is_helpful = False
        award(workspace.id, previous.author_id, "solved", sign=-1)
    reply.is_helpful, topic.is_solved = True, True
    award(workspace.id, reply.author_id, "solved")
    db.session.commit()
    check_badges(workspace, reply.author_id)


def set_like(workspace, user, want, topic=None, reply=None):
    """Like (want=True) or unlike; returns (liked, count). Asking twice is harmless: the unique
    constraint decides a race, two likes at once by one member make one row, and only the request
    that made the row adds to the count."""
    item, model = (topic, Topic) if topic is not None else (reply, Reply)
    if item.author_id == user.id:
        raise Refused("You cannot like your own post.")
    column = Like.topic_id if topic is not None else Like.reply_id
    if not want:
        removed = db.session.execute(delete(Like).where(Like.user_id == user.id, column == item.id)).rowcount
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


def current_count(model, item_id):
    return db.session.execute(select(model.like_count).where(model.id == item_id)).scalar_one()


def toggle_bookmark(workspace, user, topic):
    removed = db.session.execute(delete(Bookmark).where(Bookmark.user_id == user.id, Bookmark.topic_id == topic.id)).rowcount
    if not removed:
        try:
            with db.session.begin_nested():
                db.session.add(Bookmark(workspace_id=workspace.id, user_id=user.id, topic_id=topic.id))
        except IntegrityError:
            pass
    db.session.commit()
    return not removed


def bookmarks(workspace, user, role):
    return db.session.execute(select(Topic).join(Bookmark, Bookmark.topic_id == Topic.id)
                              .where(Bookmark.user_id == user.id, Bookmark.workspace_id == workspace.id,
                                     visible(Topic, user, role))
                              .options(joinedload(Topic.channel)).order_by(Bookmark.id.desc()).limit(100)).scalars().all()


def report(workspace, user, reason, topic=None, reply=None):
    row = Report(workspace_id=workspace.id, reporter_id=user.id, reason=reason.strip()[:500],
                 topic_id=topic.id if topic else None, reply_id=reply.id if reply else None)
    db.session.add(row)
    db.session.commit()
    return row


def open_reports(workspace):
    return db.session.execute(select(Report).where(Report.workspace_id == workspace.id, Report.status == "open")
                              .options(joinedload(Report.reporter), joinedload(Report.topic), joinedload(Report.reply))
                              .order_by(Report.id)).scalars().all()


def resolve_report(report_row, moderator, action):
    if action == "hide":
        item = report_row.reply or report_row.topic
        item.is_hidden, item.hidden_by_id = True, moderator.id
    report_row.status = "hidden" if action == "hide" else "dismissed"
    report_row.resolved_by_id = moderator.id
    db.session.commit()


# ---- reading -----------------------------------------------------------------------------------


def visible(model, user, role):
    """Hidden posts stay visible to their author and to moderators."""
    if role == "moderator":
        return True
    return or_(model.is_hidden.is_(False), model.author_id == user.id)


def feed(channel, user, role, before=None):
    """A page of a channel's topics, pinned first, newest activity first, with each topic's author
    name and whether it is new to this member: one query whatever the channel holds."""
    read = aliased(TopicRead)
    query = (select(Topic, read.read_at, MemberProfile.username)
             .outerjoin(read, and_(read.topic_id == Topic.id, read.user_id == user.id))
             .outerjoin(MemberProfile, and_(MemberProfile.user_id == Topic.author_id,
                                            MemberProfile.workspace_id == Topic.workspace_id))
             .where(Topic.channel_id == channel.id, visible(Topic, user, role)))
    if before:
        pinned, moment, topic_id = before
        older = or_(Topic.last_activity_at < moment, and_(Topic.last_activity_at == moment, Topic.id < topic_id))
        if pinned:  # still among the pinned ones: the rest of them, then every unpinned topic
            query = query.where(or_(Topic.is_pinned.is_(False), and_(Topic.is_pinned.is_(True), older)))
        else:
            query = query.where(Topic.is_pinned.is_(False), older)
    rows = db.session.execute(query.order_by(Topic.is_pinned.desc(), Topic.last_activity_at.desc(), Topic.id.desc())
                              .limit(FEED_PAGE + 1)).all()
    return rows[:FEED_PAGE], len(rows) > FEED_PAGE


def unread_by_channel(workspace, user, role, days=UNREAD_WINDOW_DAYS):
    """{channel id: topics with activity in the last `days` this member has not read}. Like
    Discourse's "new", the window keeps this a short index range however old the community."""
    read = aliased(TopicRead)
    rows = db.session.execute(
        select(Topic.channel_id, func.count()).outerjoin(read, and_(read.topic_id == Topic.id, read.user_id == user.id))
        .where(Topic.workspace_id == workspace.id, Topic.last_activity_at > utcnow() - timedelta(days=days),
               visible(Topic, user, role), or_(read.read_at.is_(None), Topic.last_activity_at > read.read_at))
        .group_by(Topic.channel_id)).all()
    return dict(rows)


def mark_topic_read(topic, user):
    now = utcnow()
    changed = db.session.execute(update(TopicRead).where(TopicRead.topic_id == topic.id, TopicRead.user_id == user.id)
                                 .values(read_at=now)).rowcount
    if not changed:
        try:
            with db.session.begin_nested():
                db.session.add(TopicRead(topic_id=topic.id, user_id=user.id, read_at=now))
        except IntegrityError:
            pass


def open_topic(topic, user):
    """Count the view and note what this member has read; returns when they last read it."""
    previous = db.session.execute(select(TopicRead.read_at).where(TopicRead.topic_id == topic.id,
                                                                  TopicRead.user_id == user.id)).scalar_one_or_none()
    db.session.execute(update(Topic).where(Topic.id == topic.id).values(view_count=Topic.view_count + 1))
    mark_topic_read(topic, user)
    db.session.commit()
    return previous


def thread(topic, user, role):
    """Every visible reply of a topic as a tree, with authors' usernames and this member's likes:
    three queries however long the thread."""
    rows = db.session.execute(
        select(Reply, MemberProfile.username)
        .outerjoin(MemberProfile, and_(MemberProfile.user_id == Reply.author_id, MemberProfile.workspace_id == Reply.workspace_id))
        .where(Reply.topic_id == topic.id, visible(Reply, user, role)).order_by(Reply.id).limit(1000)).all()
    liked_replies = set(db.session.execute(select(Like.reply_id).join(Reply, Reply.id == Like.reply_id).where(
        Like.user_id == user.id, Reply.topic_id == topic.id)).scalars())
    liked_topic = db.session.execute(select(Like.id).where(Like.user_id == user.id, Like.topic_id == topic.id)).first() is not None
    by_parent = {}
    for reply, username in rows:
        reply.username = username
        by_parent.setdefault(reply.parent_id, []).append(reply)
    shown = {reply.id for reply, _ in rows}

    def children(parent_id, depth):
        for reply in by_parent.get(parent_id, []):
            reply.depth = min(depth, 5)
            reply.children = list(children(reply.id, depth + 1))
            yield reply

    # A reply whose parent is hidden from this member still shows, at the top level.
    roots = list(children(None, 0)) + [r for pid, rs in by_parent.items() if pid is not None and pid not in shown
                                       for r in children_of_orphan(rs, children)]
    return roots, liked_replies, liked_topic


def children_of_orphan(replies, children):
    for reply in replies:
        reply.depth = 0
        reply.children = list(children(reply.id, 1))
        yield reply


# ---- search ------------------------------------------------------------------------------------


def index(workspace, kind, ref_id, topic_id, title, body):
    """Keep the SQLite FTS5 index in step (PostgreSQL indexes the columns themselves)."""
    if db.engine.dialect.name != "sqlite":
        return
    db.session.execute(text("DELETE FROM community_search WHERE kind = :kind AND ref_id = :ref"), {"kind": kind, "ref": ref_id})
    db.session.execute(text("INSERT INTO community_search (title, body, scope, kind, ref_id, topic_id, workspace_id) "
                            "VALUES (:title, :body, :scope, :kind, :ref, :topic, :ws)"),
                       {"title": title, "body": body, "scope": f"ws{workspace.id}", "kind": kind, "ref": ref_id,
                        "topic": topic_id, "ws": workspace.id})


def search(workspace, query, user, role, limit=30):
    """Topics and replies matching every word of `query`, newest first: SQLite FTS5 or PostgreSQL
    full-text search behind one function. Hidden posts are left out for those who may not see them."""
    words = re.findall(r"\w+", query or "", re.UNICODE)[:12]
    if not words:
        return []
    if db.engine.dialect.name == "sqlite":
        # Every word must match, within this community's scope; newest first, which FTS5 reads
        # straight off its index (ranking every match of a common word would read them all).
        match = f'scope:ws{workspace.id} AND {{title body}}: ({" ".join(chr(34) + word + chr(34) for word in words)})'
        hits = db.session.execute(text(
            "SELECT kind, ref_id FROM community_search WHERE community_search MATCH :q ORDER BY rowid DESC LIMIT :limit"),
            {"q": match, "limit": limit * 2}).all()
    else:
        # The same expressions as the GIN indexes (ix_fts_topics, ix_fts_replies), so they are used.
        english = literal_column("'english'::regconfig")
        tsquery = func.plainto_tsquery(english, " ".join(words))
        topic_doc = func.to_tsvector(english, Topic.title.op("||")(literal_column("' '")).op("||")(Topic.body))
        reply_doc = func.to_tsvector(english, Reply.body)
        topic_hits = select(literal("topic").label("kind"), Topic.id.label("ref"), Topic.created_at.label("at")).where(
            Topic.workspace_id == workspace.id, topic_doc.op("@@")(tsquery))
        reply_hits = select(literal("reply").label("kind"), Reply.id.label("ref"), Reply.created_at.label("at")).where(
            Reply.workspace_id == workspace.id, reply_doc.op("@@")(tsquery))
        union = topic_hits.union_all(reply_hits).subquery()
        hits = db.session.execute(select(union.c.kind, union.c.ref).order_by(union.c.at.desc()).limit(limit * 2)).all()
    topic_ids = [ref for kind, ref in hits if kind == "topic"]
    reply_ids = [ref for kind, ref in hits if kind == "reply"]
    topics = {t.id: t for t in db.session.execute(select(Topic).where(Topic.id.in_(topic_ids or [-1]),
                                                                      visible(Topic, user, role))).scalars()}
    replies = {r.id: r for r in db.session.execute(
        select(Reply).join(Topic, Topic.id == Reply.topic_id).where(Reply.id.in_(reply_ids or [-1]), visible(Reply, user, role),
                                                                    visible(Topic, user, role))
        .options(joinedload(Reply.topic))).scalars()}
    results = []
    for kind, ref in hits:
        item = topics.get(ref) if kind == "topic" else replies.get(ref)
        if item is not None:
            results.append({"kind": kind, "topic": item if kind == "topic" else item.topic, "reply": item if kind == "reply" else None,
                            "snippet": snippet(item.body, words)})
    return results[:limit]


def snippet(body, words, width=160):
    lowered = body.lower()
    position = min([lowered.find(word.lower()) for word in words if lowered.find(word.lower()) >= 0] or [0])
    start = max(0, position - 40)
    return ("…" if start else "") + " ".join(body[start:start + width].split()) + ("…" if len(body) > start + width else "")


# ---- direct messages ---------------------------------------------------------------------------


def pair(user_id, other_id):
    return (user_id, other_id) if user_id < other_id else (other_id, user_id)


def send_dm(workspace, sender, recipient, body):
    if recipient.id == sender.id:
        raise Refused("You cannot message yourself.", "body")
    if community_role(workspace, recipient) is None:
        raise Refused("That person is not in this community.")
    profile = profile_for(workspace, recipient)
    if not profile.allow_dms:
        raise Refused(f"@{profile.username} does not accept direct messages.", "body")
    a, b = pair(sender.id, recipient.id)
    conversation = db.session.execute(select(Conversation).where(
        Conversation.workspace_id == workspace.id, Conversation.user_a_id == a, Conversation.user_b_id == b)).scalar_one_or_none()
    if conversation is None:
        conversation = Conversation(workspace_id=workspace.id, user_a_id=a, user_b_id=b)
        db.session.add(conversation)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            conversation = db.session.execute(select(Conversation).where(
                Conversation.workspace_id == workspace.id, Conversation.user_a_id == a, Conversation.user_b_id == b)).scalar_one()
    now = utcnow()
    message = DirectMessage(conversation_id=conversation.id, sender_id=sender.id, body=body,
                            body_html=render_markdown(body), created_at=now)
    db.session.add(message)
    conversation.last_message_at = now
    mark_conversation_read(conversation, sender, commit=False)
    db.session.commit()
    return conversation, message


def conversation_between(workspace, user, other):
    a, b = pair(user.id, other.id)
    return db.session.execute(select(Conversation).where(Conversation.workspace_id == workspace.id,
                                                         Conversation.user_a_id == a, Conversation.user_b_id == b)
                              ).scalar_one_or_none()


def mark_conversation_read(conversation, user, commit=True):
    if conversation.user_a_id == user.id:
        conversation.a_read_at = utcnow()
    else:
        conversation.b_read_at = utcnow()
    if commit:
        db.session.commit()


def conversations(workspace, user):
    """[(conversation, other user, unread count, their username)] newest first, in one query."""
    other = aliased(User)
    read_at = func.coalesce(
        db.case((Conversation.user_a_id == user.id, Conversation.a_read_at), else_=Conversation.b_read_at),
        datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC")))
    unread = (select(func.count()).select_from(DirectMessage).where(
        DirectMessage.conversation_id == Conversation.id, DirectMessage.sender_id != user.id,
        DirectMessage.created_at > read_at).correlate(Conversation).scalar_subquery())
    rows = db.session.execute(
        select(Conversation, other, unread, MemberProfile.username)
        .join(other, other.id == db.case((Conversation.user_a_id == user.id, Conversation.user_b_id), else_=Conversation.user_a_id))
        .outerjoin(MemberProfile, and_(MemberProfile.user_id == other.id, MemberProfile.workspace_id == workspace.id))
        .where(Conversation.workspace_id == workspace.id, or_(Conversation.user_a_id == user.id, Conversation.user_b_id == user.id))
        .order_by(Conversation.last_message_at.desc()).limit(100)).all()
    return rows


def unread_dm_count(workspace, user, except_conversation_id=None):
    """Messages from others this member has not read yet, in one query. The conversation open on
    the member's page (`except_conversation_id`) reads its messages as they arrive: not counted."""
    read_at = func.coalesce(
        db.case((Conversation.user_a_id == user.id, Conversation.a_read_at), else_=Conversation.b_read_at),
        datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC")))
    return db.session.execute(
        select(func.count()).select_from(DirectMessage).join(Conversation, Conversation.id == DirectMessage.conversation_id)
        .where(Conversation.workspace_id == workspace.id, or_(Conversation.user_a_id == user.id, Conversation.user_b_id == user.id),
               DirectMessage.sender_id != user.id, DirectMessage.created_at > read_at,
               Conversation.id != (except_conversation_id or 0))).scalar_one()


def conversation_of(workspace, user, conversation_id):
    """One of the member's own conversations in this community, or None."""
    return db.session.execute(select(Conversation).where(
        Conversation.id == conversation_id, Conversation.workspace_id == workspace.id,
        or_(Conversation.user_a_id == user.id, Conversation.user_b_id == user.id))).scalar_one_or_none()


def conversation_messages(conversation, limit=200, after_id=None):
    """The latest `limit` messages, oldest first; with `after_id`, the first `limit` that came after it."""
    query = select(DirectMessage).where(DirectMessage.conversation_id == conversation.id).options(
        joinedload(DirectMessage.sender))
    if after_id is not None:
        return db.session.execute(query.where(DirectMessage.id > after_id).order_by(DirectMessage.id)
                                  .limit(limit)).scalars().all()
    rows = db.session.execute(query.order_by(DirectMessage.id.desc()).limit(limit)).scalars().all()
    return list(reversed(rows))


# ---- events ------------------------------------------------------------------------------------


def create_event(workspace, author, title, description, type_, starts_local, ends_local, timezone, meeting_url, capacity):
    zone = ZoneInfo(timezone)
    starts = starts_local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
    ends = ends_local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
    if ends <= starts:
        raise Refused("The end must be after the start.", "ends_time")
    if instant_has_passed(starts):
        raise Refused("That time has already passed. Choose a date and start time still to come.", "date")
    event = Event(workspace_id=workspace.id, created_by_id=author.id, title=title.strip(), description=description,
                  description_html=render(workspace, description), type=type_, starts_at=starts, ends_at=ends,
                  timezone=timezone, meeting_url=meeting_url.strip(), capacity=capacity or None)
    db.session.add(event)
    db.session.commit()
    return event


def upcoming_events(workspace, now=None):
    return db.session.execute(select(Event).where(Event.workspace_id == workspace.id, Event.ends_at >= (now or utcnow()))
                              .order_by(Event.starts_at).limit(50)).scalars().all()


def rsvp_of(event, user):
    return db.session.execute(select(EventRSVP).where(EventRSVP.event_id == event.id, EventRSVP.user_id == user.id)
                              ).scalar_one_or_none()


def rsvp(event, user, status):
    """Going takes a seat only if one is free. Every change is a conditional UPDATE, so two
    answers at once cannot take two seats for one member, take the last seat twice, or give a
    seat back twice."""
    if event.ends_at < utcnow():
        raise Refused("This event is over.")
    if status == "GOING":
        seat = db.session.execute(update(Event).where(Event.id == event.id, or_(
            Event.capacity.is_(None), Event.going_count < Event.capacity)).values(going_count=Event.going_count + 1)).rowcount
        if not seat:
            db.session.rollback()
            raise Refused(f"“{event.title}” is full: all {event.capacity} places are taken. "
                          "Choose Maybe to hear if one frees up.")
        if not set_rsvp(event, user, "GOING", unless="GOING"):  # already going: give the extra seat back
            db.session.execute(update(Event).where(Event.id == event.id).values(going_count=Event.going_count - 1))
    else:
        was_going = db.session.execute(update(EventRSVP).where(
            EventRSVP.event_id == event.id, EventRSVP.user_id == user.id, EventRSVP.status == "GOING")
            .values(status=status)).rowcount
        if was_going:
            db.session.execute(update(Event).where(Event.id == event.id).values(going_count=Event.going_count - 1))
        else:
            set_rsvp(event, user, status)
    db.session.commit()


def set_rsvp(event, user, status, unless=None):
    """Write the member's answer; False when it already was `unless` (nothing changed)."""
    query = update(EventRSVP).where(EventRSVP.event_id == event.id, EventRSVP.user_id == user.id)
    if unless:
        query = query.where(EventRSVP.status != unless)
    if db.session.execute(query.values(status=status)).rowcount:
        return True
    exists = db.session.execute(select(EventRSVP.id).where(EventRSVP.event_id == event.id,
                                                           EventRSVP.user_id == user.id)).first()
    if exists:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(EventRSVP(event_id=event.id, user_id=user.id, status=status))
    except IntegrityError:  # the member's other answer made the row a moment ago
        return set_rsvp(event, user, status, unless)
    return True


def attendees(event):
    return db.session.execute(select(MemberProfile.username, EventRSVP.status).join(
        MemberProfile, and_(MemberProfile.user_id == EventRSVP.user_id, MemberProfile.workspace_id == event.workspace_id),
        isouter=False).where(EventRSVP.event_id == event.id, EventRSVP.status != "NOT_GOING")
        .order_by(EventRSVP.status, MemberProfile.username)).all()


def ical(event, url):
    from icalendar import Calendar
    from icalendar import Event as CalendarEvent

    calendar = Calendar()
    calendar.add("prodid", "-//Studio//Community//EN")
    calendar.add("version", "2.0")
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.id}@studio")
    entry.add("summary", event.title)
    entry.add("dtstart", event.starts_at.astimezone(ZoneInfo(event.timezone)))
    entry.add("dtend", event.ends_at.astimezone(ZoneInfo(event.timezone)))
    entry.add("dtstamp", utcnow())
    entry.add("description", f"{event.description}\n\n{url}".strip())
    entry.add("url", url)
    calendar.add_component(entry)
    return calendar.to_ical()


def send_event_reminders(now=None, ahead=timedelta(hours=1)):
    """A notification to everyone going (or maybe going) an hour before an event starts."""
    now = now or utcnow()
    due = db.session.execute(select(Event).where(Event.reminder_sent_at.is_(None), Event.starts_at > now,
                                                 Event.starts_at <= now + ahead)).scalars().all()
    sent = 0
    for event in due:
        claimed = db.session.execute(update(Event).where(Event.id == event.id, Event.reminder_sent_at.is_(None))
                                     .values(reminder_sent_at=now)).rowcount
        db.session.commit()
        if not claimed:
            continue
        from studio.accounts.models import Workspace

        workspace = db.session.get(Workspace, event.workspace_id)
        for user_id in db.session.execute(select(EventRSVP.user_id).where(EventRSVP.event_id == event.id,
                                                                          EventRSVP.status.in_(("GOING", "MAYBE")))).scalars():
            notify.notify(user_id, "EVENT_REMINDER", f"Starting soon: {event.title}",
                          f"{event.starts_at.astimezone(ZoneInfo(event.timezone)):%H:%M} {event.timezone}",
                          path_for("community.event", space=workspace.slug, event_id=event.id), workspace_id=workspace.id)
            sent += 1
    return sent


def community_notifications(workspace, user, limit=50):
    from studio.notify.models import Notification

    return db.session.execute(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.workspace_id == workspace.id,
                                                         Notification.client_id.is_(None))
                              .order_by(Notification.id.desc()).limit(limit)).scalars().all()
