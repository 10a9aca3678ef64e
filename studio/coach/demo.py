"""The coach's demo: Northwind's eight-month playbook, Rosa's own account with her latest posts'
numbers, and conversations written through the real path (the playbook coach, as the README's run
command has no model): one rated helpful, one not, and one handed to a person."""
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from studio.coach import service, streams
from studio.coach.models import PlaybookArticle
from studio.connections.models import PlatformConnection
from studio.database import utcnow
from studio.extensions import db
from studio.platforms import get_platform
from studio.portal.models import Client
from studio.publishing.models import PublishedPost
from studio.sandbox.models import SandboxAccount, SandboxPost
from studio.sandbox.service import issue_tokens
from studio.urls import public_base_url

PLAYBOOK_FILE = Path(__file__).with_name("demo_playbook.md")
ARTICLE_HEADING = re.compile(r"^# \[(\d|any)\] (.+)$", re.MULTILINE)


def demo_playbook() -> list[tuple[int | None, str, str]]:
    """(program month or None, title, Markdown body) of each article in demo_playbook.md."""
    text = PLAYBOOK_FILE.read_text(encoding="utf-8")
    headings = list(ARTICLE_HEADING.finditer(text))
    articles = []
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        body = text[heading.end():following.start() if following else len(text)].strip()
        month = None if heading.group(1) == "any" else int(heading.group(1))
        articles.append((month, heading.group(2).strip(), body))
    return articles


ROSA_POSTS = (
    # (days ago, caption, views, likes, comments, shares, saves)
    (6, "5 moves for a stronger back, no gym needed", 48_200, 3_910, 214, 388, 1_240),
    (3, "What I eat on a training day (honest version)", 21_700, 1_480, 96, 51, 610),
    (1, "Morning routine: 20 minutes, every day", 9_850, 702, 41, 18, 233),
)


def seed_coach(workspace) -> None:
    service.config_for(workspace.id)
    db.session.add_all([PlaybookArticle(workspace_id=workspace.id, program_month=month, title=title, body=body)
                        for month, title, body in demo_playbook()])
    db.session.commit()
    clients = {c.name.split()[0]: c for c in db.session.execute(select(Client).where(
        Client.workspace_id == workspace.id, Client.user_id.is_not(None))).scalars()}
    rosa, amara = clients["Rosa"], clients["Amara"]
    seed_rosas_account(workspace, rosa)
    conversation = answered(rosa, "How often should I post?")
    service.rate(last_answer(conversation), True)
    conversation = answered(amara, "How do I price a brand deal with three videos?")
    service.rate(last_answer(conversation), False, "I wanted a number for my audience size, not a formula.")
    assert amara.user is not None
    service.ask(amara, amara.user, conversation, "Can I talk to a person about the Glowline contract?")


def seed_rosas_account(workspace, rosa: Client) -> None:
    account = SandboxAccount(handle="rosa.lifts", display_name="Rosa Lifts", owner_user_id=rosa.user_id,
                             created_at=utcnow() - timedelta(days=200))
    db.session.add(account)
    db.session.flush()
    access, refresh = issue_tokens(account, timedelta(hours=1), get_platform("sandbox").client_id)
    connection = PlatformConnection(workspace_id=workspace.id, client_id=rosa.id, platform="sandbox",
                                    account_id=str(account.id), username=account.handle, display_name=account.display_name,
                                    access_token=access, refresh_token=refresh, expires_at=utcnow() + timedelta(hours=1),
                                    scope="profile publish metrics", last_refreshed_at=utcnow())
    db.session.add(connection)
    db.session.flush()
    for days_ago, caption, views, likes, comments, shares, saves in ROSA_POSTS:
        when = utcnow() - timedelta(days=days_ago, hours=3)
        remote = SandboxPost(account_id=account.id, text=caption, created_at=when)
        db.session.add(remote)
        db.session.flush()
        db.session.add(PublishedPost(
            workspace_id=workspace.id, connection_id=connection.id, platform="sandbox", platform_post_id=str(remote.id),
            url=f"{public_base_url()}/sandbox/p/{remote.id}", caption=caption, published_at=when, last_synced_at=utcnow(),
            metrics={"views": views, "likes": likes, "comments": comments, "shares": shares, "saves": saves}))
    db.session.commit()


def answered(client: Client, question: str):
    """Ask and write the answer here and now (the same writer the pages run in the background)."""
    assert client.user is not None, "a client with a portal log-in"
    conversation, asked = service.ask(client, client.user, None, question)
    if asked.answer is not None and asked.plan is not None:
        streams.write_answer(asked.answer.id, asked.plan, streams.LiveAnswer(), save_seconds=60)
    return conversation


def last_answer(conversation):
    return [m for m in service.messages_of(conversation) if m.role == "assistant"][-1]
