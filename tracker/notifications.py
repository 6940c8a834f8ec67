"""Queueing notifications in the outbox and sending them after commit."""

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Case
from tracker.models import OutboxMessage
from tracker.models import utcnow

#: Give up on a message after this many failed attempts; it stays in the table for inspection.
MAX_ATTEMPTS = 5


def queue_message(session: Session, recipient: str, subject: str, body: str, case: Case | None = None) -> None:
    """Add a message to the outbox in the caller's transaction: it is sent only if that transaction commits."""
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    if case is not None:
        message.case_id = case.id
    session.add(message)


def send_pending(session: Session, config: Mapping[str, Any], limit: int = 200) -> int:
    """Send unsent messages by SMTP (or print them when no mail server is configured); commits per message."""
    pending = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = 0
    for message in pending:
        message.attempts += 1
        try:
            _deliver(message, config)
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = str(error)[:1000]
        else:
            message.sent_at = utcnow()
            sent += 1
        session.commit()
    return sent


def _deliver(message: OutboxMessage, config: Mapping[str, Any]) -> None:
    """One message out through SMTP, or to standard output in development."""
    if not config.get("MAIL_SERVER"):
        print(f"To: {message.recipient}\nSubject: {message.subject}\n\n{message.body}\n")
        return
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)
