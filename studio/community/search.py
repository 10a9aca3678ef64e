"""Finding posts: topics and replies matching every word, newest first, through SQLite's FTS5 index
or PostgreSQL's full-text search behind one function."""
import re
from typing import Any

from sqlalchemy import ColumnElement, func, literal, literal_column, select, text
from sqlalchemy.orm import joinedload

from studio.accounts.models import User, Workspace
from studio.community.models import Reply, Topic
from studio.community.reading import visible
from studio.extensions import db


def index(workspace: Workspace, kind: str, ref_id: int, topic_id: int, title: str, body: str) -> None:
    """Keep the SQLite FTS5 index in step (PostgreSQL indexes the columns themselves)."""
    if db.engine.dialect.name != "sqlite":
        return
    db.session.execute(text("DELETE FROM community_search WHERE kind = :kind AND ref_id = :ref"), {"kind": kind, "ref": ref_id})
    db.session.execute(text("INSERT INTO community_search (title, body, scope, kind, ref_id, topic_id, workspace_id) "
                            "VALUES (:title, :body, :scope, :kind, :ref, :topic, :ws)"),
                       {"title": title, "body": body, "scope": f"ws{workspace.id}", "kind": kind, "ref": ref_id,
                        "topic": topic_id, "ws": workspace.id})


def search(workspace: Workspace, query: str, user: User, role: str, limit: int = 30) -> list[dict[str, Any]]:
    """Topics and replies matching every word of `query`, newest first: each a {"kind", "topic",
    "reply", "snippet"}. Hidden posts are left out for those who may not see them."""
    words = re.findall(r"\w+", query or "", re.UNICODE)[:12]
    if not words:
        return []
    hits = sqlite_hits(workspace, words, limit * 2) if db.engine.dialect.name == "sqlite" else \
        postgresql_hits(workspace, words, limit * 2)
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
        if kind == "topic" and ref in topics:
            results.append({"kind": kind, "topic": topics[ref], "reply": None, "snippet": snippet(topics[ref].body, words)})
        elif kind == "reply" and ref in replies:
            reply = replies[ref]
            results.append({"kind": kind, "topic": reply.topic, "reply": reply, "snippet": snippet(reply.body, words)})
    return results[:limit]


def sqlite_hits(workspace: Workspace, words: list[str], limit: int) -> list[tuple[str, int]]:
    # Every word must match, within this community's scope; newest first, which FTS5 reads
    # straight off its index (ranking every match of a common word would read them all).
    quoted = " ".join(f'"{word}"' for word in words)
    match = f"scope:ws{workspace.id} AND {{title body}}: ({quoted})"
    rows = db.session.execute(text(
        "SELECT kind, ref_id FROM community_search WHERE community_search MATCH :q ORDER BY rowid DESC LIMIT :limit"),
        {"q": match, "limit": limit}).all()
    return [(kind, ref) for kind, ref in rows]


def postgresql_hits(workspace: Workspace, words: list[str], limit: int) -> list[tuple[str, int]]:
    # The same expressions as the GIN indexes (ix_fts_topics, ix_fts_replies), so they are used.
    english: ColumnElement[Any] = literal_column("'english'::regconfig")
    tsquery = func.plainto_tsquery(english, " ".join(words))
    topic_doc = func.to_tsvector(english, Topic.title.op("||")(literal_column("' '")).op("||")(Topic.body))
    reply_doc = func.to_tsvector(english, Reply.body)
    topic_hits = select(literal("topic").label("kind"), Topic.id.label("ref"), Topic.created_at.label("at")).where(
        Topic.workspace_id == workspace.id, topic_doc.op("@@")(tsquery))
    reply_hits = select(literal("reply").label("kind"), Reply.id.label("ref"), Reply.created_at.label("at")).where(
        Reply.workspace_id == workspace.id, reply_doc.op("@@")(tsquery))
    union = topic_hits.union_all(reply_hits).subquery()
    rows = db.session.execute(select(union.c.kind, union.c.ref).order_by(union.c.at.desc()).limit(limit)).all()
    return [(kind, ref) for kind, ref in rows]


def snippet(body: str, words: list[str], width: int = 160) -> str:
    """Some `width` characters of `body` around the first word found."""
    lowered = body.lower()
    position = min([lowered.find(word.lower()) for word in words if lowered.find(word.lower()) >= 0] or [0])
    start = max(0, position - 40)
    return ("…" if start else "") + " ".join(body[start:start + width].split()) + ("…" if len(body) > start + width else "")
