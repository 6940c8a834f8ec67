"""Queueing notifications in the outbox and sending them after commit."""

import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from tracker.deadlines import raise_alert
from tracker.deadlines import resolve_alert
from tracker.models import Case
from tracker.models import OutboxMessage
from tracker.models import utcnow

#: After this many failed attempts on one message the administrators get an alert; sending still goes on.
MAX_ATTEMPTS = 5
#: Deduplication key of the alert about mail that cannot be sent.
OUTBOX_ALERT_KEY = "outbox"
#: How long a sender holds a message it claimed; longer than one SMTP exchange can take (timeout 30 s).
CLAIM_LEASE = timedelta(minutes=5)
#: The wait after a failure doubles with each attempt, from one minute up to this.
LONGEST_RETRY_WAIT = timedelta(hours=1)
#: Seconds the SMTP client waits for the server.
SMTP_TIMEOUT = 30


def queue_message(session: Session, recipient: str, subject: str, body: str, case: Case | None = None) -> None:
    """Add a message to the outbox in the caller's transaction: it is sent only if that transaction commits."""
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    if case is not None:
        message.case_id = case.id
    session.add(message)


def retry_wait(attempts: int) -> timedelta:
    """How long to leave a message alone after its latest failed attempt."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), LONGEST_RETRY_WAIT)


@dataclass(frozen=True)
class Envelope:
    """What a sender needs from a claimed message, read before the claim commits so no transaction stays open."""

    message_id: int
    recipient: str
    subject: str
    body: str


def claim_next(session: Session, sender: str, now: datetime) -> Envelope | None:
    """Claim the oldest message due for sending and commit the claim, so that no other sender takes it.

    PostgreSQL skips rows another sender has locked; SQLite serialises writers (BEGIN IMMEDIATE). On both, the
    conditional update only succeeds while the message is unclaimed or its claim has lapsed.
    """
    due = (
        OutboxMessage.sent_at.is_(None),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
    )
    message_id = session.scalars(
        select(OutboxMessage.id).where(*due).order_by(OutboxMessage.id).limit(1).with_for_update(skip_locked=True)
    ).first()
    if message_id is None:
        session.rollback()
        return None
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, *due)
        .values(claimed_by=sender, claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.commit()
        return claim_next(session, sender, now)
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    envelope = Envelope(message.id, message.recipient, message.subject, message.body)
    session.commit()
    return envelope


def send_pending(
    session: Session, config: Mapping[str, Any], *, now: datetime | None = None, limit: int = 200
) -> int:
    """Send due messages one claim at a time, record each outcome, and alert the administrators about failures.

    Two senders running at once never send a message twice: each sends only what it claimed. A message that
    fails waits longer after each attempt and is never dropped; once one has failed MAX_ATTEMPTS times the
    administrators get an alert, closed again by the next successful delivery. When the server cannot be reached
    the run stops, since the messages behind would fail the same way.
    """
    sender = uuid.uuid4().hex
    sent = 0
    for _ in range(limit):
        started = now or utcnow()
        envelope = claim_next(session, sender, started)
        if envelope is None:
            break
        try:
            _deliver(envelope, config)
        except (OSError, smtplib.SMTPException) as error:
            message = session.get(OutboxMessage, envelope.message_id)
            _record_failure(session, message, error, now or utcnow())
            session.commit()
            if isinstance(error, (OSError, smtplib.SMTPServerDisconnected)):
                break
        else:
            message = session.get(OutboxMessage, envelope.message_id)
            message.sent_at = now or utcnow()
            message.attempts += 1
            message.last_error = None
            message.claimed_by = message.claimed_until = message.next_attempt_at = None
            resolve_alert(session, OUTBOX_ALERT_KEY, now=message.sent_at)
            session.commit()
            sent += 1
    return sent


def _record_failure(session: Session, message: OutboxMessage, error: Exception, now: datetime) -> None:
    """Count the attempt, schedule the next one, release the claim, and raise the alert once failures repeat."""
    message.attempts += 1
    message.last_error = str(error)[:1000] or type(error).__name__
    message.next_attempt_at = now + retry_wait(message.attempts)
    message.claimed_by = message.claimed_until = None
    if message.attempts >= MAX_ATTEMPTS:
        raise_alert(
            session,
            OUTBOX_ALERT_KEY,
            f"E-mail cannot be sent: {message.attempts} attempts failed for message {message.id} "
            f"to {message.recipient} (last error: {message.last_error}). Sending is retried; "
            "check the mail server (MAIL_SERVER).",
        )


def _deliver(message: Envelope, config: Mapping[str, Any]) -> None:
    """One message out through SMTP, or to standard output in development."""
    if not config.get("MAIL_SERVER"):
        print(f"To: {message.recipient}\nSubject: {message.subject}\n\n{message.body}\n")
        return
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)
