""""Ask about this service": a visitor with no account writes to the maker's team. The thread is
made unverified and a link is e-mailed to the address given; the team sees it only once that link
was opened, so an address that is not the visitor's own cannot fill the team's inbox. The signed
link stays the visitor's way back to the thread (and arrives again with every answer)."""
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from studio.accounts.models import User, Workspace
from studio.content.notices import approvers_of, tell
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.notify.mail import MailError, send_mail
from studio.refusal import Refused, TooFast
from studio.storefront.models import Inquiry, InquiryMessage, InquiryState, Service
from studio.urls import external_url

MESSAGE_LENGTH = 4000
VISITOR_MESSAGES_PER_HOUR = 20


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="studio.storefront-inquiry")


def token_for(inquiry: Inquiry) -> str:
    return _serializer().dumps({"inquiry": inquiry.id, "email": inquiry.email})


def link_for(inquiry: Inquiry, slug: str) -> str:
    return external_url("storefront.inquiry", slug=slug, token=token_for(inquiry))


def check_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise Refused("Write your message.", "body")
    if len(body) > MESSAGE_LENGTH:
        raise Refused(f"A message can be at most {MESSAGE_LENGTH} characters.", "body")
    return body


def check_inquiry_rate(email: str, ip: str) -> None:
    limits = current_app.config["STOREFRONT_INQUIRIES_PER_WINDOW"]
    for column, value in ((Inquiry.email, email), (Inquiry.ip, ip)):
        limit, minutes = limits["email" if column is Inquiry.email else "ip"]
        since = utcnow() - timedelta(minutes=minutes)
        made = db.session.scalar(select(func.count()).select_from(Inquiry).where(column == value, Inquiry.created_at > since)) or 0
        if made >= limit:
            raise TooFast("Too many questions from here in the last hour; please try again later.", "body")


def ask(workspace: Workspace, service: Service, *, name: str, email: str, body: str, ip: str) -> Inquiry:
    """Open an unverified thread about `service` and e-mail its link to `email`."""
    body = check_body(body)
    email = email.strip().lower()
    check_inquiry_rate(email, ip)
    now = utcnow()
    inquiry = Inquiry(workspace_id=workspace.id, service_id=service.id, subject=f"About “{service.title}”"[:200],
                      name=name.strip(), email=email, ip=ip, message_count=1, last_message_at=now,
                      last_preview=body[:200], last_from_visitor=True)
    db.session.add(inquiry)
    db.session.flush()
    db.session.add(InquiryMessage(workspace_id=workspace.id, inquiry_id=inquiry.id, from_visitor=True, body=body,
                                  created_at=now))
    db.session.commit()
    try:
        send_mail(email, f"Confirm your question to {workspace.name}", "storefront_verify", inquiry=inquiry,
                  maker=workspace.name, link=link_for(inquiry, workspace.slug))
    except MailError as error:  # no link, no question: take it back so asking again is not counted
        current_app.logger.warning("inquiry confirmation to %s failed: %s", email, error)
        db.session.delete(inquiry)
        db.session.commit()
        raise Refused("We could not send the confirmation e-mail just now. Please try again in a few minutes.") from None
    return inquiry


def inquiry_for_token(workspace: Workspace, token: str) -> Inquiry | None:
    """The thread a visitor's link opens (None for a link that is not one of this storefront's)."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    inquiry = db.session.get(Inquiry, data.get("inquiry")) if isinstance(data, dict) else None
    if inquiry is None or inquiry.workspace_id != workspace.id or inquiry.email != data.get("email"):
        return None
    return inquiry


def verify(inquiry: Inquiry) -> bool:
    """The visitor opened the link: the team sees the thread now, and is told once. True the first time."""
    done = changed_rows(db.session.execute(update(Inquiry).where(Inquiry.id == inquiry.id, Inquiry.verified_at.is_(None))
                                           .values(verified_at=utcnow())))
    db.session.commit()
    if done:
        tell(approvers_of(inquiry.workspace_id), "storefront_inquiry", f"Storefront question from {inquiry.name}: {inquiry.subject}",
             inquiry.last_preview, "storefront_studio.inquiry", {"ws": workspace_slug(inquiry), "inquiry_id": inquiry.id},
             workspace_id=inquiry.workspace_id)
    return bool(done)


def workspace_slug(inquiry: Inquiry) -> str:
    return db.session.scalar(select(Workspace.slug).where(Workspace.id == inquiry.workspace_id)) or ""


def add_message(inquiry: Inquiry, body: str, sender: User | None = None) -> InquiryMessage:
    """A message from the visitor (sender None) or from the team, who e-mail the visitor the link."""
    body = check_body(body)
    now = utcnow()
    if sender is None:
        written = db.session.scalar(select(func.count()).select_from(InquiryMessage).where(
            InquiryMessage.inquiry_id == inquiry.id, InquiryMessage.from_visitor.is_(True),
            InquiryMessage.created_at > now - timedelta(hours=1))) or 0
        if written >= VISITOR_MESSAGES_PER_HOUR:
            raise TooFast("You have written a lot this hour; please wait for an answer.", "body")
    message = InquiryMessage(workspace_id=inquiry.workspace_id, inquiry_id=inquiry.id, sender_id=sender.id if sender else None,
                             from_visitor=sender is None, body=body, created_at=now)
    db.session.add(message)
    inquiry.message_count += 1
    inquiry.last_message_at, inquiry.last_preview, inquiry.last_from_visitor = now, body[:200], sender is None
    inquiry.state = InquiryState.OPEN
    if sender is not None:
        inquiry.staff_read_at = now
    db.session.commit()
    if sender is None:
        tell(approvers_of(inquiry.workspace_id), "storefront_inquiry", f"{inquiry.name} wrote again: {inquiry.subject}",
             body, "storefront_studio.inquiry", {"ws": workspace_slug(inquiry), "inquiry_id": inquiry.id},
             workspace_id=inquiry.workspace_id)
    else:
        workspace = db.session.get(Workspace, inquiry.workspace_id)
        assert workspace is not None
        try:
            send_mail(inquiry.email, f"{workspace.name} answered your question", "storefront_answer",
                      inquiry=inquiry, maker=workspace.name, body=body, link=link_for(inquiry, workspace.slug))
        except MailError as error:  # the answer is kept; the visitor's link shows it
            current_app.logger.warning("inquiry e-mail to %s failed: %s", inquiry.email, error)
    return message


def messages_of(inquiry: Inquiry) -> list[InquiryMessage]:
    return list(db.session.execute(select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry.id)
                                   .options(joinedload(InquiryMessage.sender)).order_by(InquiryMessage.id)).scalars())


def inquiries_of(workspace: Workspace, limit: int = 200) -> list[Inquiry]:
    """The verified threads, latest first (unverified ones are nobody's business yet)."""
    return list(db.session.execute(
        select(Inquiry).where(Inquiry.workspace_id == workspace.id, Inquiry.verified_at.is_not(None))
        .options(joinedload(Inquiry.service)).order_by(Inquiry.last_message_at.desc()).limit(limit)).scalars())


def unread_count(workspace: Workspace) -> int:
    return db.session.scalar(select(func.count()).select_from(Inquiry).where(
        Inquiry.workspace_id == workspace.id, Inquiry.verified_at.is_not(None), Inquiry.last_from_visitor.is_(True),
        (Inquiry.staff_read_at.is_(None)) | (Inquiry.last_message_at > Inquiry.staff_read_at))) or 0


def mark_read(inquiry: Inquiry) -> None:
    inquiry.staff_read_at = utcnow()
    db.session.commit()


def set_state(inquiry: Inquiry, state: str) -> None:
    inquiry.state = InquiryState(state)
    db.session.commit()
