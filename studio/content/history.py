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


def edit_post(post: Post, version: int, message: str, editor: User, reason: str = "") -> Post:
    """Change a post's text (refused if it changed since `version` or publishing started); a change
    is recorded, and an approved post goes back for approval (publishing.update_post)."""
    before = post.message
    publishing.update_post(post, version, message, post.overrides, None, post.timezone)
    if before != message:
        record(post, EditAction.EDITED, editor, previous=before, new=message, reason=reason)
        db.session.commit()
    return post


def revert_post(post: Post, edit: ContentEdit, editor: User) -> Post:
    """Put back the text a step of the post's history left, exactly; the revert is recorded."""
    if edit.post_id != post.id or edit.new_text is None:
        raise Refused("That step of the history did not set the post's text, so there is nothing to restore.")
    if edit.new_text == post.message:
        raise Refused("The post already says exactly that.")
    before = post.message
    publishing.update_post(post, post.version, edit.new_text, post.overrides, None, post.timezone)
    record(post, EditAction.REVERTED, editor, previous=before, new=edit.new_text, reverted_from=edit,
           reason=f"Restored the text as of step {edit.id}")
    db.session.commit()
    return post


def edit_version(version: ContentVersion, text: str, editor: User, reason: str = "") -> ContentVersion:
    if text != version.text:
        record(version, EditAction.EDITED, editor, previous=version.text, new=text, reason=reason)
        version.text = text
        db.session.commit()
    return version


def revert_version(version: ContentVersion, edit: ContentEdit, editor: User) -> ContentVersion:
    if edit.version_id != version.id or edit.new_text is None:
        raise Refused("That step of the history did not set the version's text, so there is nothing to restore.")
    if edit.new_text == version.text:
        raise Refused("The version already says exactly that.")
    record(version, EditAction.REVERTED, editor, previous=version.text, new=edit.new_text, reverted_from=edit,
           reason=f"Restored the text as of step {edit.id}")
    version.text = edit.new_text
    db.session.commit()
    return version
