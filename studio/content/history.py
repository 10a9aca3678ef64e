"""The history of posts and versions: each step recorded with who and when, each change of text
with the text before and after (shown as a word-level diff), and a revert that is a step itself."""
import difflib
import re
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from studio.accounts.models import User
from studio.content.models import ContentEdit, ContentVersion, EditAction
from studio.extensions import db
from studio.publishing import service as publishing
from studio.publishing.models import Post
from studio.refusal import Refused


def record(subject: Post | ContentVersion, action: EditAction, editor: User | None, *, previous: str | None = None,
           new: str | None = None, reason: str = "", by_client: bool = False,
           reverted_from: ContentEdit | None = None) -> ContentEdit:
    """Add one step to the subject's history (committed with whatever the caller commits)."""
    edit = ContentEdit(workspace_id=subject.workspace_id, action=action, editor_id=editor.id if editor else None,
                       previous_text=previous, new_text=new, reason=reason.strip(), by_client=by_client,
                       reverted_from_id=reverted_from.id if reverted_from else None)
    if isinstance(subject, Post):
        edit.post_id = subject.id
    else:
        edit.version_id = subject.id
    db.session.add(edit)
    return edit


def history_of(subject: Post | ContentVersion) -> Sequence[ContentEdit]:
    """Every step, newest first, with who took it."""
    column = ContentEdit.post_id if isinstance(subject, Post) else ContentEdit.version_id
    return db.session.execute(select(ContentEdit).where(column == subject.id).options(joinedload(ContentEdit.editor))
                              .order_by(ContentEdit.id.desc())).scalars().all()


class Piece(NamedTuple):
    kind: str  # "same", "added" or "removed"
    text: str


def word_diff(before: str, after: str) -> list[Piece]:
    """The change from `before` to `after` word by word; the whitespace between words rides with
    them, so joining the "same" and "added" pieces gives `after` back exactly."""
    old, new = re.findall(r"\S+\s*|\s+", before or ""), re.findall(r"\S+\s*|\s+", after or "")
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(Piece("same", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("removed", "".join(old[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("added", "".join(new[j1:j2])))
    return pieces


def text_of(subject: Post | ContentVersion) -> str:
    return subject.message if isinstance(subject, Post) else subject.text


def set_text(subject: Post | ContentVersion, text: str, version: int | None = None) -> None:
    """A post's text changes through publishing (refused if it changed since `version` or
    publishing started, and an approved post goes back for approval); a version's in place."""
    if isinstance(subject, Post):
        publishing.update_post(subject, subject.version if version is None else version, text, subject.overrides,
                               None, subject.timezone)
    else:
        subject.text = text


def edit(subject: Post | ContentVersion, text: str, editor: User, reason: str = "", version: int | None = None) -> None:
    """Change the text; a change is recorded with its reason."""
    before = text_of(subject)
    set_text(subject, text, version)
    if before != text:
        record(subject, EditAction.EDITED, editor, previous=before, new=text, reason=reason)
    db.session.commit()


def revert(subject: Post | ContentVersion, step: ContentEdit, editor: User) -> None:
    """Put back the text a step of the subject's history left, exactly; the revert is recorded."""
    own = step.post_id == subject.id if isinstance(subject, Post) else step.version_id == subject.id
    if not own or step.new_text is None:
        raise Refused("That step of the history did not set this text, so there is nothing to restore.")
    if step.new_text == text_of(subject):
        raise Refused("It already says exactly that.")
    before = text_of(subject)
    set_text(subject, step.new_text)
    record(subject, EditAction.REVERTED, editor, previous=before, new=step.new_text, reverted_from=step,
           reason=f"Restored the text of {step.created_at:%-d %b %Y, %H:%M} UTC")
    db.session.commit()


def edit_post(post: Post, version: int, message: str, editor: User, reason: str = "") -> Post:
    edit(post, message, editor, reason, version)
    return post
