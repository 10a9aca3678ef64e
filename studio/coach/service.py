"""The coach's rules: its settings, the client's daily budget, what grounds an answer, asking,
regenerating, stopping and rating, and the hand-off to a person and back. Answers are written by
`studio.coach.streams` in the background; this module decides what to write and whether to."""
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import func, select, update

from studio.accounts.models import User
from studio.coach import playbook
from studio.coach.grounding import grounding_for, model_messages
from studio.coach.models import (
    AnswerState,
    CoachConfig,
    CoachConversation,
    CoachMessage,
    Role,
)
from studio.coach.providers import ChatProvider, OpenAICompatible, ProviderSettings
from studio.database import changed_rows, utcnow
from studio.extensions import db, insert_in_dialect
from studio.notify import service as notify
from studio.notify.mail import MailError, send_mail
from studio.notify.models import NotificationType
from studio.portal import service as portal
from studio.portal.models import Client
from studio.refusal import Refused
from studio.urls import external_url, path_for

QUESTION_LIMIT = 4_000
MIN_ANSWER_TOKENS = 50  # an answer capped below this would say nothing
TITLE_LIMIT = 80

# Asking for a person, in the words people use (configured keywords are added to these).
PERSON_WANTED = re.compile(
    r"\b(talk|speak|chat|write)\s+(to|with)\s+(a|an|the|some|my|your)?\s*(real\s+|actual\s+)?"
    r"(person|human|someone|somebody|team|agent|manager|people)\b|\breal (person|human)\b|\bhuman,? please\b",
    re.IGNORECASE)


# ---- settings ----------------------------------------------------------------------------------


def config_for(workspace_id: int) -> CoachConfig:
    """The workspace's coach settings, made with the defaults the first time they are asked for (by
    whichever of several requests at once gets there first: the others find its row)."""
    query = select(CoachConfig).where(CoachConfig.workspace_id == workspace_id)
    config = db.session.execute(query).scalar_one_or_none()
    if config is None:
        # The columns' own defaults fill the rest, as they would for an ORM insert.
        db.session.execute(insert_in_dialect(CoachConfig).values(workspace_id=workspace_id)
                           .on_conflict_do_nothing(index_elements=["workspace_id"]))
        db.session.commit()
        config = db.session.execute(query).scalar_one()
    return config



def update_config(config: CoachConfig, editor: User, values: dict[str, Any]) -> None:
    previous_url = config.api_url
    for name in ("is_active", "system_prompt", "max_tokens_per_message", "max_tokens_per_day", "capabilities",
                 "escalation_keywords", "api_url", "model"):
        if name in values:
            setattr(config, name, values[name])
    if values.get("api_key"):  # an empty field keeps the stored key…
        config.api_key = values["api_key"]
    elif "api_url" in values and config.api_url != previous_url:
        config.api_key = None  # …for the server it was given for only: never sent on to another one
    if values.get("forget_api_key"):
        config.api_key = None
    config.updated_at, config.updated_by_id = utcnow(), editor.id
    db.session.commit()


def provider_settings(config: CoachConfig) -> ProviderSettings | None:
    """The model the coach calls: the workspace's own where it names a server, else the COACH_*
    settings; None when neither does (the playbook coach answers)."""
    settings = current_app.config
    api_url = config.api_url or settings.get("COACH_API_URL", "")
    if not api_url:
        return None
    own = bool(config.api_url)
    return ProviderSettings(api_url=api_url, model=(config.model if own else "") or settings.get("COACH_MODEL", ""),
                            api_key=(config.api_key if own else settings.get("COACH_API_KEY")) or "",
                            connect_timeout=settings.get("COACH_CONNECT_TIMEOUT_SECONDS", 5),
                            read_timeout=settings.get("COACH_READ_TIMEOUT_SECONDS", 30))


def provider_for(config: CoachConfig) -> ChatProvider | None:
    settings = provider_settings(config)
    return OpenAICompatible(settings) if settings else None


# ---- the daily budget --------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    limit: int
    used: int
    resets_at: datetime  # the next midnight UTC
    zone: ZoneInfo  # the client's, for telling them when

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    def reset_text(self) -> str:
        local = self.resets_at.astimezone(self.zone)
        return f"{local:%H:%M} on {local:%a %-d %b} ({self.zone.key})"


def zone_of(client: Client) -> ZoneInfo:
    try:
        return ZoneInfo(client.user.timezone if client.user else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def budget_of(client: Client, config: CoachConfig, now: datetime | None = None) -> Budget:
    """Tokens the client's answers used this day (the provider's reported usage, or an estimate where
    it reported none), against the workspace's daily limit. The day is UTC's, told in the client's
    own time: a day that followed the client's time zone would start again whenever they changed it."""
    midnight = (now or utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)
    used = db.session.execute(select(func.coalesce(func.sum(CoachMessage.tokens_used), 0)).where(
        CoachMessage.client_id == client.id, CoachMessage.created_at >= midnight)).scalar_one()
    return Budget(limit=config.max_tokens_per_day, used=int(used), resets_at=midnight + timedelta(days=1), zone=zone_of(client))


def check_budget(client: Client, config: CoachConfig) -> Budget:
    budget = budget_of(client, config)
    if budget.left <= 0:
        raise Refused(f"You have used today's coaching allowance ({budget.used:,} of {budget.limit:,} tokens). "
                      f"It resets at {budget.reset_text()}. Your team is always reachable in the inbox.", "question")
    return budget


# ---- conversations -----------------------------------------------------------------------------


def conversations_of(client: Client, limit: int = 50) -> Sequence[CoachConversation]:
    return db.session.execute(select(CoachConversation).where(CoachConversation.client_id == client.id)
                              .order_by(CoachConversation.last_message_at.desc(), CoachConversation.id.desc())
                              .limit(limit)).scalars().all()


def messages_of(conversation: CoachConversation) -> Sequence[CoachMessage]:
    return db.session.execute(select(CoachMessage).where(CoachMessage.conversation_id == conversation.id,
                                                         CoachMessage.replaced.is_(False))
                              .order_by(CoachMessage.id)).scalars().all()


def last_message_id(conversation_id: int) -> int | None:
    return db.session.execute(select(func.max(CoachMessage.id)).where(CoachMessage.conversation_id == conversation_id,
                                                                       CoachMessage.replaced.is_(False))).scalar_one()


def title_from(question: str) -> str:
    words = " ".join(question.split())
    return words if len(words) <= TITLE_LIMIT else words[:TITLE_LIMIT].rsplit(" ", 1)[0] + "…"


def start_conversation(client: Client, question: str) -> CoachConversation:
    conversation = CoachConversation(workspace_id=client.workspace_id, client_id=client.id, title=title_from(question))
    db.session.add(conversation)
    db.session.flush()
    return conversation


@dataclass
class Asked:
    """What asking did: the question stored, and the answer to write (None when a person has the
    conversation, or the question went to one)."""
    question: CoachMessage
    answer: CoachMessage | None
    plan: "AnswerPlan | None"


@dataclass
class AnswerPlan:
    """How `streams` writes an answer: the model's messages and token cap, or the playbook's text."""
    provider: ChatProvider | None
    messages: list[dict[str, str]]
    max_tokens: int
    playbook_text: str = ""


def wants_person(question: str, keywords: Sequence[str]) -> bool:
    if PERSON_WANTED.search(question):
        return True
    lowered = question.lower()
    return any(re.search(rf"\b{re.escape(word.lower().strip())}\b", lowered) for word in keywords if word.strip())


def ask(client: Client, author: User, conversation: CoachConversation | None, question: str) -> tuple[CoachConversation, Asked]:
    """Store the client's question and decide what answers it: the coach (after the budget check,
    before any call to a provider), a hand-off to a person, or nothing while a person has it."""
    question = question.strip()
    if not question:
        raise Refused("Write a question for the coach.", "question")
    if len(question) > QUESTION_LIMIT:
        raise Refused(f"Keep a question under {QUESTION_LIMIT:,} characters.", "question")
    config = config_for(client.workspace_id)
    if not config.is_active:
        raise Refused("The coach is switched off for now. Your team is in the inbox.", "question")
    if answering(client):  # one answer at a time: an answer's tokens count once it has finished
        raise Refused("The coach is still answering. Wait for it, or press Stop.", "question")
    person = wants_person(question, config.escalation_keywords or [])
    budget = None
    if not person and (conversation is None or not conversation.handed_off_at):
        budget = check_budget(client, config)
    conversation = conversation or start_conversation(client, question)
    asked = CoachMessage(workspace_id=client.workspace_id, client_id=client.id, conversation_id=conversation.id,
                         author_id=author.id, role=Role.USER, content=question, is_escalation=person)
    db.session.add(asked)
    touch(conversation)
    if conversation.handed_off_at:
        forward_to_person(conversation, asked, author)
        db.session.commit()
        return conversation, Asked(asked, None, None)
    if person:
        hand_off(conversation, asked, author)
        db.session.commit()
        tell_staff(conversation, asked.content)
        return conversation, Asked(asked, None, None)
    with undone_if_refused():
        answer, plan = new_answer(client, config, conversation, question, budget)
    db.session.commit()
    return conversation, Asked(asked, answer, plan)


@contextmanager
def undone_if_refused() -> Iterator[None]:
    """A refusal after rows were written (a question, a replaced answer) takes them back: the page
    that shows the refusal must not show them."""
    try:
        yield
    except Refused:
        db.session.rollback()
        raise


def touch(conversation: CoachConversation) -> None:
    conversation.last_message_at = utcnow()
    conversation.message_count = (conversation.message_count or 0) + 1


def new_answer(client: Client, config: CoachConfig, conversation: CoachConversation, question: str,
               budget: Budget | None = None) -> tuple[CoachMessage, AnswerPlan]:
    grounding = grounding_for(client, config, question)
    provider = provider_for(config)
    citations = [excerpt.citation() for excerpt in grounding.excerpts]
    answer = CoachMessage(workspace_id=client.workspace_id, client_id=client.id, conversation_id=conversation.id,
                          role=Role.ASSISTANT, state=AnswerState.STREAMING, source="model" if provider else "playbook",
                          details={"citations": citations, "model": provider.name if provider else ""})
    db.session.add(answer)
    db.session.flush()
    if provider is None:
        text = playbook.playbook_answer(grounding.excerpts, grounding.facts, client.current_month)
        return answer, AnswerPlan(None, [], 0, playbook_text=text)
    # Everything before this answer but its question, which goes last.
    history = [message for message in messages_of(conversation) if message.id < answer.id][:-1]
    messages = model_messages(config, grounding, history, question)
    # The prompt counts too: what is left of the day after it caps the answer, so one answer cannot
    # overrun the budget by much.
    budget = budget or budget_of(client, config)
    left = budget.left - sum(len(message["content"]) for message in messages) // 4
    if left < MIN_ANSWER_TOKENS:
        raise Refused(f"What is left of today's coaching allowance ({budget.left:,} tokens) is too little for an answer "
                      f"with its context. It resets at {budget.reset_text()}.", "question")
    return answer, AnswerPlan(provider, messages, min(config.max_tokens_per_message, left))


def answering(client: Client) -> bool:
    return db.session.execute(select(CoachMessage.id).where(
        CoachMessage.client_id == client.id, CoachMessage.state == AnswerState.STREAMING).limit(1)).first() is not None


def regenerate(client: Client, answer: CoachMessage) -> tuple[CoachMessage, AnswerPlan]:
    """A new answer to the question before `answer`, which it replaces (its tokens still count)."""
    conversation = answer.conversation
    if answer.role != Role.ASSISTANT or answer.state == AnswerState.STREAMING or answer.replaced:
        raise Refused("Only a finished answer can be asked again.")
    if answer.id != last_message_id(conversation.id):
        raise Refused("Only the latest answer can be asked again.")
    if conversation.handed_off_at:
        raise Refused("Your team has this conversation; the coach is quiet until they hand it back.")
    config = config_for(client.workspace_id)
    if not config.is_active:
        raise Refused("The coach is switched off for now. Your team is in the inbox.")
    if answering(client):
        raise Refused("The coach is still answering. Wait for it, or press Stop.")
    budget = check_budget(client, config)
    question = db.session.execute(select(CoachMessage).where(
        CoachMessage.conversation_id == conversation.id, CoachMessage.id < answer.id, CoachMessage.role == Role.USER)
        .order_by(CoachMessage.id.desc()).limit(1)).scalar_one_or_none()
    if question is None:
        raise Refused("There is no question to answer again.")
    answer.replaced = True
    db.session.flush()
    with undone_if_refused():
        fresh, plan = new_answer(client, config, conversation, question.content, budget)
    db.session.commit()
    return fresh, plan


def stop(answer: CoachMessage) -> bool:
    """Stop an answer that is still arriving: what arrived is kept. The writer, in whichever process,
    sees the state change at its next save and stops calling the provider."""
    stopped = changed_rows(db.session.execute(update(CoachMessage).where(CoachMessage.id == answer.id, CoachMessage.state == AnswerState.STREAMING)
                                 .values(state=AnswerState.STOPPED, updated_at=utcnow())))
    db.session.commit()
    return bool(stopped)


def rate(answer: CoachMessage, thumbs_up: bool, feedback: str = "") -> None:
    if answer.role != Role.ASSISTANT or answer.state == AnswerState.STREAMING:
        raise Refused("Rate an answer once it has finished.")
    before, after = answer.rating, 1 if thumbs_up else 0
    answer.rating, answer.rating_feedback = after, (feedback or "").strip()[:1000]
    # The conversation's counts move in the database, so two tabs rating at once both count.
    db.session.execute(update(CoachConversation).where(CoachConversation.id == answer.conversation_id).values(
        rating_count=CoachConversation.rating_count + (1 if before is None else 0),
        rating_sum=CoachConversation.rating_sum + after - (before or 0)))
    db.session.commit()
    db.session.refresh(answer.conversation)


# ---- a person takes over, and hands back -------------------------------------------------------


def transcript(conversation: CoachConversation, last: int = 8) -> str:
    lines = []
    for message in list(messages_of(conversation))[-last:]:
        who = {"user": conversation.client.name, "assistant": "Coach", "notice": "Studio"}[message.role.value]
        text = " ".join(message.content.split())
        lines.append(f"{who}: {text[:400]}{'…' if len(text) > 400 else ''}")
    return "\n\n".join(lines)


def hand_off(conversation: CoachConversation, asked: CoachMessage, author: User) -> None:
    """Open an inbox thread with the team carrying the conversation, tell the team, and mute the
    coach in this conversation until a staff member hands it back."""
    client = conversation.client
    db.session.flush()
    body = (f"{client.name} asked the coach for a person.\n\nThe conversation so far:\n\n{transcript(conversation)}")
    thread = portal.start_thread(client, author, True, f"From the coach: {conversation.title}", body)
    conversation.handed_off_at, conversation.handoff_thread_id, conversation.has_escalation = utcnow(), thread.id, True
    add_notice(conversation, f"I have passed this to your team at {markdown_literal(client.workspace.name)}. They will "
                             f"answer in your inbox: [open the conversation]"
                             f"({path_for('portal.thread', client_id=client.id, thread_id=thread.id)}). "
                             "I will stay quiet in this conversation until they hand it back.")


def markdown_literal(text: str) -> str:
    """`text` as itself inside Markdown: its punctuation cannot make a link or emphasis."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~-])", r"\\\1", text)


def forward_to_person(conversation: CoachConversation, asked: CoachMessage, author: User) -> None:
    """While a person has the conversation, a question goes to them (in the hand-off thread), not to the coach."""
    asked.details = {"forwarded_to_thread": conversation.handoff_thread_id}
    if conversation.handoff_thread is not None:
        portal.add_message(conversation.handoff_thread, author, True, asked.content)


def add_notice(conversation: CoachConversation, text: str) -> CoachMessage:
    notice = CoachMessage(workspace_id=conversation.workspace_id, client_id=conversation.client_id,
                          conversation_id=conversation.id, role=Role.NOTICE, content=text)
    db.session.add(notice)
    touch(conversation)
    return notice


def tell_staff(conversation: CoachConversation, question: str) -> None:
    client = conversation.client
    link = path_for("coach.conversation", ws=client.workspace.slug, conversation_id=conversation.id)
    title = f"{client.name} asked the coach for a person"
    for member in portal.staff_recipients(client.workspace_id):
        notify.notify(member.id, NotificationType.COACH_HANDOFF, title, question[:300], link, workspace_id=client.workspace_id)
        try:
            send_mail(member.email, title, "coach_handoff", member=member, client=client, question=question,
                      link=external_url("coach.conversation", ws=client.workspace.slug, conversation_id=conversation.id))
        except MailError as error:  # the in-app notification and the inbox thread still tell them
            current_app.logger.warning("coach hand-off e-mail to %s failed: %s", member.email, error)


def hand_back(conversation: CoachConversation, staff: User) -> None:
    if not conversation.handed_off_at:
        raise Refused("The coach already has this conversation.")
    conversation.handed_off_at = None
    add_notice(conversation, f"{markdown_literal(staff.name)} from your team handed this conversation back to the coach.")
    db.session.commit()
