"""Keeping the community in order: hiding and showing posts, pinning topics, the helpful answer
that solves a question, and members' reports with the moderators' queue."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from studio.accounts.models import User, Workspace
from studio.community.members import award, check_badges
from studio.community.models import Reply, Report, ReportStatus, Topic
from studio.community.posting import may_edit
from studio.extensions import db
from studio.refusal import Refused


def set_hidden(item: Topic | Reply, user: User, role: str, hidden: bool) -> None:
    """Authors hide their own posts and may show them again; what a moderator hid, only a
    moderator shows again."""
    if not may_edit(item, user, role):
        raise Refused("Only the author or a moderator can hide this.")
    if not hidden and role != "moderator" and item.hidden_by_id != user.id:
        raise Refused("A moderator hid this; only a moderator can show it again.")
    item.is_hidden, item.hidden_by_id = hidden, user.id if hidden else None
    db.session.commit()


def set_pinned(topic: Topic, role: str, pinned: bool) -> None:
    if role != "moderator":
        raise Refused("Only moderators pin topics.")
    topic.is_pinned = pinned
    db.session.commit()


def mark_helpful(workspace: Workspace, topic: Topic, reply: Reply, user: User, role: str) -> None:
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


def report(workspace: Workspace, user: User, reason: str, topic: Topic | None = None, reply: Reply | None = None) -> Report:
    row = Report(workspace_id=workspace.id, reporter_id=user.id, reason=reason.strip()[:500],
                 topic_id=topic.id if topic else None, reply_id=reply.id if reply else None)
    db.session.add(row)
    db.session.commit()
    return row


def open_reports(workspace: Workspace) -> list[Report]:
    return list(db.session.execute(select(Report).where(Report.workspace_id == workspace.id, Report.status == ReportStatus.OPEN)
                                   .options(joinedload(Report.reporter), joinedload(Report.topic), joinedload(Report.reply))
                                   .order_by(Report.id)).scalars())


def resolve_report(report_row: Report, moderator: User, action: str) -> None:
    """"hide" hides what was reported (the reply, else the topic); "dismiss" leaves it be."""
    item = report_row.reply or report_row.topic
    if action == "hide" and item is not None:
        item.is_hidden, item.hidden_by_id = True, moderator.id
    report_row.status = ReportStatus.HIDDEN if action == "hide" else ReportStatus.DISMISSED
    report_row.resolved_by_id = moderator.id
    db.session.commit()
