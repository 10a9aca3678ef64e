"""Writing an answer in the background and following it as it grows.

An answer is written by a thread of this process (a pool of COACH_MAX_STREAMS), not by the request
that asked: a reload, a closed tab or a second tab cannot cut it off. The writer keeps the text in
memory for followers in this process and saves it to the database at least every
COACH_SAVE_SECONDS, so a follower in another process (or after a reload) reads it from there and
picks the stream up at the offset it has. Stop is a state change in the database that the writer
sees at its next save."""
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select, update

from studio.coach.models import AnswerState, CoachConversation, CoachMessage
from studio.coach.providers import ProviderError
from studio.coach.service import AnswerPlan
from studio.database import changed_rows, utcnow
from studio.extensions import db


@dataclass
class LiveAnswer:
    """An answer being written in this process: its text so far, and a condition to wait on."""
    text: str = ""
    finished: bool = False
    changed: threading.Condition = field(default_factory=threading.Condition)

    def add(self, piece: str) -> None:
        with self.changed:
            self.text += piece
            self.changed.notify_all()

    def finish(self) -> None:
        with self.changed:
            self.finished = True
            self.changed.notify_all()

    def wait_past(self, offset: int, seconds: float) -> tuple[str, bool]:
        """The text after `offset` once there is some (or the answer finished, or `seconds` passed)."""
        with self.changed:
            if len(self.text) <= offset and not self.finished:
                self.changed.wait(seconds)
            return self.text[offset:], self.finished


_live: dict[int, LiveAnswer] = {}
_live_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def pool(app: Flask) -> ThreadPoolExecutor:
    global _pool
    with _live_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=app.config["COACH_MAX_STREAMS"], thread_name_prefix="coach")
        return _pool


def live_answer(message_id: int) -> LiveAnswer | None:
    return _live.get(message_id)


def start(message_id: int, plan: AnswerPlan) -> None:
    """Write answer `message_id` in the background."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    live = LiveAnswer()
    with _live_lock:
        _live[message_id] = live
    pool(app).submit(_write, app, message_id, plan, live)


def _write(app: Flask, message_id: int, plan: AnswerPlan, live: LiveAnswer) -> None:
    with app.app_context():
        try:
            write_answer(message_id, plan, live, app.config["COACH_SAVE_SECONDS"])
        except Exception:  # noqa: BLE001  # a writer must never die silently with the answer marked as arriving
            app.logger.exception("coach answer %s failed", message_id)
            db.session.rollback()  # the failure may have been the database's: start clean
            _finish(message_id, live.text, plan, None, None, AnswerState.INCOMPLETE,
                    "The answer stopped because of an error in the studio.")
        finally:
            live.finish()
            db.session.remove()
            # Followers that still hold `live` read its end; new ones read the database.
            forget = threading.Timer(30, _forget, (message_id,))
            forget.daemon = True  # never keeps a stopping process alive
            forget.start()


def _forget(message_id: int) -> None:
    with _live_lock:
        _live.pop(message_id, None)


def pieces_of(plan: AnswerPlan) -> Iterator[tuple[str, int | None, int | None]]:
    """(text, prompt tokens, completion tokens) as they come: the model's stream, or the playbook's
    answer a paragraph at a time."""
    if plan.provider is None:
        for paragraph in plan.playbook_text.split("\n\n"):
            yield paragraph + "\n\n", None, None
        return
    for chunk in plan.provider.stream(plan.messages, plan.max_tokens):
        yield chunk.text, chunk.prompt_tokens, chunk.completion_tokens


def write_answer(message_id: int, plan: AnswerPlan, live: LiveAnswer, save_seconds: float) -> None:
    prompt_tokens = completion_tokens = None
    if not _save(message_id, "", AnswerState.STREAMING):
        return  # stopped, or given up on, while it waited its turn: no call to the provider
    last_save = time.monotonic()
    state, error = AnswerState.COMPLETE, ""
    try:
        for text, prompt, completion in pieces_of(plan):
            if text:
                live.add(text)
            if prompt is not None:
                prompt_tokens, completion_tokens = prompt, completion
            if time.monotonic() - last_save >= save_seconds:
                last_save = time.monotonic()
                if not _save(message_id, live.text, AnswerState.STREAMING):
                    return _finish(message_id, live.text, plan, prompt_tokens, completion_tokens, None, "")  # stopped
    except ProviderError as failure:
        state, error = AnswerState.INCOMPLETE, str(failure)
    _finish(message_id, live.text, plan, prompt_tokens, completion_tokens, state, error)


def _save(message_id: int, text: str, state: AnswerState, error: str = "") -> bool:
    """Save the text so far while the answer is still arriving; False once it was stopped."""
    values = {"content": text, "updated_at": utcnow()}
    if state != AnswerState.STREAMING:
        values.update(state=state, error=error)
    saved = changed_rows(db.session.execute(update(CoachMessage).where(
        CoachMessage.id == message_id, CoachMessage.state == AnswerState.STREAMING).values(**values)))
    db.session.commit()
    return bool(saved)


def estimate_tokens(text: str) -> int:
    """About four characters a token in English, as providers' own estimators reckon."""
    return max(1, round(len(text) / 4)) if text else 0


def _finish(message_id: int, text: str, plan: AnswerPlan, prompt_tokens: int | None, completion_tokens: int | None,
            state: AnswerState | None, error: str) -> None:
    """Store the whole answer with its token counts; `state` None keeps a stop that came first."""
    estimated = plan.provider is not None and prompt_tokens is None
    if plan.provider is None:  # the playbook calls no model: it costs the client nothing
        prompt_tokens = completion_tokens = 0
    elif prompt_tokens is None or completion_tokens is None:
        prompt_tokens = sum(estimate_tokens(message["content"]) for message in plan.messages)
        completion_tokens = estimate_tokens(text)
    used = prompt_tokens + completion_tokens
    message = db.session.get(CoachMessage, message_id)
    if message is None:
        return
    message.content = text.rstrip()  # only the end: followers count offsets from the start
    if plan.provider is not None:
        message.details = {**message.details, "citations": cited_in(message.content, message.citations)}
    message.prompt_tokens, message.completion_tokens, message.tokens_used = prompt_tokens, completion_tokens, used
    message.tokens_estimated, message.updated_at = estimated, utcnow()
    db.session.flush()
    # Only an answer still arriving takes the writer's ending: a Stop that came first stays.
    db.session.execute(update(CoachMessage).where(CoachMessage.id == message_id, CoachMessage.state == AnswerState.STREAMING)
                       .values(state=state or AnswerState.STOPPED, error=error), execution_options={"synchronize_session": False})
    db.session.execute(update(CoachConversation).where(CoachConversation.id == message.conversation_id).values(
        total_tokens=CoachConversation.total_tokens + used, last_message_at=utcnow()))
    db.session.commit()


def cited_in(text: str, citations: list[dict]) -> list[dict]:
    """The excerpts a model's answer cites as [n]; all that it was given when it cites none."""
    numbers = {int(number) for number in re.findall(r"\[(\d{1,2})\]", text)}
    return [c for c in citations if c.get("n") in numbers] or citations


def settle_if_abandoned(message: CoachMessage) -> None:
    """An answer still marked as arriving that nobody has saved for a while lost its writer (a
    process ended): it is marked incomplete, keeping what arrived."""
    if message.state != AnswerState.STREAMING or message.id in _live:
        return
    cutoff = utcnow() - timedelta(seconds=current_app.config["COACH_ABANDONED_SECONDS"])
    if message.updated_at < cutoff:
        # Conditional, so a writer that saved meanwhile keeps its answer.
        db.session.execute(update(CoachMessage).where(
            CoachMessage.id == message.id, CoachMessage.state == AnswerState.STREAMING, CoachMessage.updated_at < cutoff)
            .values(state=AnswerState.INCOMPLETE, error="The answer was cut off when the studio restarted."))
        db.session.commit()
        db.session.refresh(message)


def follow(app: Flask, message_id: int, offset: int, poll_seconds: float) -> Iterator[tuple[str, str, int] | None]:
    """The text of answer `message_id` past `offset` as it arrives: ("delta", text, new offset)
    events, then ("end", "", offset) once it is finished; None while there is nothing new (the
    stream's chance to ping). Waits on the writer when it is in this process, else reads the
    database every `poll_seconds`."""
    while True:
        live = _live.get(message_id)
        if live is not None:
            text, finished = live.wait_past(offset, poll_seconds)
        else:
            text, finished = _stored_past(app, message_id, offset)
            if not text and not finished:
                time.sleep(poll_seconds)
        if text:
            offset += len(text)
            yield "delta", text, offset
        elif not finished:
            yield None
        if finished:
            yield "end", "", offset
            return


def _stored_past(app: Flask, message_id: int, offset: int) -> tuple[str, bool]:
    """The stored text past `offset`, and whether the answer is finished: one whose writer has not
    saved for COACH_ABANDONED_SECONDS is given up on (marked incomplete), so no reader waits forever."""
    with app.app_context():
        row = db.session.execute(select(CoachMessage).where(CoachMessage.id == message_id)).scalar_one_or_none()
        if row is not None:
            settle_if_abandoned(row)
            content, finished = row.content, row.state != AnswerState.STREAMING
        db.session.remove()
    if row is None:
        return "", True
    return content[offset:], finished
