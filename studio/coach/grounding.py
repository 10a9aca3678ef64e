"""What grounds an answer: the client's own facts (program month, open deliverables, their own
accounts' latest numbers), the playbook's best passages, and the messages sent to a model."""
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from studio.coach import playbook
from studio.coach.models import Capability, CoachConfig, CoachMessage, Role
from studio.connections.models import PlatformConnection
from studio.extensions import db
from studio.journey.service import next_steps
from studio.platforms import PLATFORM_CLASSES, get_platform
from studio.portal.models import Client, Deliverable
from studio.publishing.models import PublishedPost

HISTORY_MESSAGES = 12  # earlier turns sent with a question, so a follow-up makes sense


@dataclass
class Grounding:
    excerpts: list[playbook.Excerpt]
    facts: list[str]


def client_facts(client: Client, capabilities: Sequence[str]) -> list[str]:
    facts = []
    if Capability.PROGRAM in capabilities:
        started = f", started {client.program_start:%-d %B %Y}" if client.program_start else ""
        facts.append(f"{client.name} is in month {client.current_month} of 8 of the program{started}.")
        for step in next_steps(client):
            facts.append(f"Next in the program: “{step.title}” on {step.due_at:%-d %B}.")
    if Capability.DELIVERABLES in capabilities:
        for item in open_deliverables(client):
            state = "not opened yet" if item.opened_at is None else "opened, not yet reviewed"
            facts.append(f"Open deliverable: “{item.title}” (month {item.program_month}, {state}).")
    if Capability.NUMBERS in capabilities:
        facts.extend(post_facts(client))
    return facts


def open_deliverables(client: Client, limit: int = 5) -> Sequence[Deliverable]:
    return db.session.execute(select(Deliverable).where(
        Deliverable.client_id == client.id, Deliverable.published_at.is_not(None), Deliverable.reviewed_at.is_(None))
        .order_by(Deliverable.published_at.desc()).limit(limit)).scalars().all()


NUMBER_NAMES = ("views", "likes", "comments", "shares", "saves")


def post_facts(client: Client, limit: int = 3) -> list[str]:
    """The client's latest posts on their own accounts, with the numbers last fetched."""
    rows = db.session.execute(select(PublishedPost, PlatformConnection.username).join(
        PlatformConnection, PlatformConnection.id == PublishedPost.connection_id).where(
        PlatformConnection.client_id == client.id).order_by(PublishedPost.published_at.desc()).limit(limit)).all()
    facts = []
    for post, username in rows:
        numbers = ", ".join(f"{int(post.metrics[name]):,} {name}" for name in NUMBER_NAMES
                            if isinstance(post.metrics.get(name), int | float))
        caption = " ".join(post.caption.split())[:60] or "(no caption)"
        platform = get_platform(post.platform).name if post.platform in PLATFORM_CLASSES else post.platform
        facts.append(f"Post on {platform} as @{username}, {post.published_at:%-d %b}: “{caption}” — "
                     f"{numbers or 'no numbers yet'}.")
    return facts


def grounding_for(client: Client, config: CoachConfig, question: str) -> Grounding:
    capabilities = config.capabilities or []
    found: list[playbook.Excerpt] = []
    if Capability.PLAYBOOK in capabilities:
        found = playbook.excerpts(playbook.find_articles(client.workspace_id, question, client.current_month), question)
    return Grounding(excerpts=found, facts=client_facts(client, capabilities))


def model_messages(config: CoachConfig, grounding: Grounding, history: Sequence[CoachMessage], question: str) -> list[dict[str, str]]:
    """What goes to the model: the system prompt with the client's facts and the playbook excerpts
    (numbered, to be cited as [n]), the conversation so far, then the question."""
    context = [config.system_prompt.strip()]
    if grounding.facts:
        context.append("About the creator:\n" + "\n".join(f"- {fact}" for fact in grounding.facts))
    if grounding.excerpts:
        context.append("Playbook excerpts:\n\n" + "\n\n".join(
            f"[{e.number}] {e.title} ({playbook.month_label(e.program_month)})\n{e.text}" for e in grounding.excerpts))
    messages = [{"role": "system", "content": "\n\n".join(context)}]
    for message in history[-HISTORY_MESSAGES:]:
        if message.role in (Role.USER, Role.ASSISTANT) and message.content and not message.replaced:
            messages.append({"role": message.role.value, "content": message.content})
    messages.append({"role": "user", "content": question})
    return messages
