"""E-mail out: SMTP when MAIL_URL names a server, otherwise .eml files in the outbox folder.

MAIL_URL forms: `outbox` (default), `smtp://user:pass@host:25`, `smtp://host:587?starttls=true`,
`smtps://user:pass@host:465`.
"""
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, render_template

from studio.database import utcnow


class MailError(Exception):
    pass


def build_message(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="studio.local")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def write_to_outbox(message: EmailMessage, folder: str | Path) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    (folder / name).write_bytes(bytes(message))
    return folder / name


def send_over_smtp(message: EmailMessage, url: str) -> None:
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    host, port = parts.hostname or "localhost", parts.port
    context = ssl.create_default_context()
    client: smtplib.SMTP
    try:
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(host, port or 465, timeout=15, context=context)
        else:
            client = smtplib.SMTP(host, port or 25, timeout=15)
        with client:
            if options.get("starttls", ["false"])[0].lower() == "true":
                client.starttls(context=context)
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"could not send e-mail through {host}: {error}") from error


def send_mail(to: str, subject: str, template: str, **context: Any) -> EmailMessage:
    """Render templates/emails/<template>.txt (and .html when present) and deliver it."""
    text = render_template(f"emails/{template}.txt", **context)
    html = render_template(f"emails/{template}.html", **context)
    message = build_message(to, subject, text, html)
    url = current_app.config["MAIL_URL"]
    if url == "outbox":
        write_to_outbox(message, current_app.config["OUTBOX_DIR"])
    elif url.startswith(("smtp://", "smtps://")):
        send_over_smtp(message, url)
    else:
        raise MailError(f"MAIL_URL must be 'outbox', smtp://… or smtps://…, not {url!r}")
    return message
