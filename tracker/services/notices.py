"""E-mail to the parties after each transition they can see: one per party, in its language, in that transaction.

The engine calls the listener `transition_notifier(base_url)` builds after every transition (the app factory
sets it with `workflow.set_transition_listener`, passing the `PUBLIC_BASE_URL` setting); rows marked
`Visibility.STAFF` notify nobody. Each e-mail says what happened, what the reader is expected to do and by
when, and links to the case. Templates live in `templates/email/`, one file per language, rendered by a
plain Jinja environment under Flask-Babel's `force_locale`, so the labels come out in the reader's language.
"""

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from pathlib import Path

from flask_babel import force_locale
from jinja2 import Environment
from jinja2 import FileSystemLoader
from jinja2 import StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import deadlines
from tracker import notifications
from tracker import privacy
from tracker.models import Case
from tracker.models import Role
from tracker.models import User
from tracker.models import Visibility
from tracker.services import expectations
from tracker.workflow import STATE_LABELS
from tracker.workflow import Row
from tracker.workflow import TransitionListener
from tracker.workflow.guards import REFUSAL_CODES
from tracker.workflow.guards import SETTLEMENT_OUTCOMES
from tracker.workflow.guards import TERMINATION_GROUNDS
from tracker.working_days import local_date

#: Languages an e-mail is written in; anything else falls back to the default.
EMAIL_LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"

#: The clock within which both parties must be told that mediation ended (DESIGN §3); these e-mails meet it.
NOTICE_CLOCK = "mediation_notice"

EMAIL_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"
#: Plain text, so nothing is HTML-escaped; no request is needed to render (the sweep sends notices too).
_templates = Environment(
    loader=FileSystemLoader(EMAIL_TEMPLATES),
    autoescape=False,  # noqa: S701 - plain-text e-mail bodies, never served as HTML
    keep_trailing_newline=True,
    undefined=StrictUndefined,
)


@dataclass(frozen=True)
class Recipient:
    """One address of one party, the language it reads, and its side (applicant or enterprise)."""

    address: str
    locale: str
    side: str
    #: The account, when there is one (its link goes to the case page, not to public tracking).
    user: User | None = None


def _locale_of(user: User | None) -> str:
    locale = getattr(user, "locale", None)
    return locale if locale in EMAIL_LOCALES else DEFAULT_LOCALE


def party_recipients(session: Session, case: Case) -> list[Recipient]:
    """The applicant (account or contact address), and, once the case is accepted, the enterprise's users.

    An enterprise without active users is reached at its contact address.
    """
    recipients = []
    if case.applicant is not None and case.applicant.active:
        recipients.append(Recipient(case.applicant.email, _locale_of(case.applicant), expectations.APPLICANT,
                                    case.applicant))
    elif case.applicant is None and case.contact_email:
        recipients.append(Recipient(case.contact_email, DEFAULT_LOCALE, expectations.APPLICANT))
    if case.enterprise is not None and case.accepted_at is not None:
        users = session.scalars(
            select(User)
            .where(User.enterprise_id == case.enterprise.id, User.role == Role.ENTERPRISE, User.active.is_(True))
            .order_by(User.id)
        ).all()
        if users:
            recipients += [Recipient(user.email, _locale_of(user), expectations.ENTERPRISE, user) for user in users]
        elif case.enterprise.contact_email:
            recipients.append(Recipient(case.enterprise.contact_email, DEFAULT_LOCALE, expectations.ENTERPRISE))
    return recipients


def consumer_contact(case: Case, *, masked: bool) -> dict[str, str]:
    """The consumer's name and contact details, masked for an enterprise the consumer did not allow to see them."""
    applicant = case.applicant
    name = case.contact_name or (applicant.display_name if applicant else "")
    phone = case.contact_phone or (applicant.mobile if applicant else "") or ""
    email = case.contact_email or (applicant.email if applicant else "") or ""
    if masked:
        return {"name": privacy.mask_name(name), "phone": privacy.mask_phone(phone) if phone else "",
                "email": privacy.mask_email(email) if email else ""}
    return {"name": name, "phone": phone, "email": email}


def _details(case: Case, row: Row, side: str) -> dict[str, object]:
    """What the e-mail adds to the bare transition: the refusal, the request, the agreement, the ending."""
    details: dict[str, object] = {}
    if row.trigger == "refuse":
        details["refusal_ground"] = REFUSAL_CODES.get(case.refusal_code, case.refusal_code)
        if side == expectations.APPLICANT:
            details["refusal_explanation"] = case.refusal_explanation
    if row.trigger == "request_information" and case.information_requests:
        details["information_request"] = case.information_requests[-1]
    if row.trigger == "record_agreement" and case.mediation_agreements:
        details["agreement"] = case.mediation_agreements[-1]
        details["outcome"] = SETTLEMENT_OUTCOMES.get(case.outcome, case.outcome)
    if row.trigger == "end_mediation" and case.mediation_endings:
        details["termination_ground"] = TERMINATION_GROUNDS.get(
            case.mediation_endings[-1].ground, case.mediation_endings[-1].ground
        )
    if row.trigger == "merge" and case.merged_into is not None:
        details["original_number"] = case.merged_into.number
    return details


def render_transition_email(
    case: Case, row: Row, recipient: Recipient, *, today: date, base_url: str
) -> tuple[str, str]:
    """The subject and text of one party's e-mail, in that party's language."""
    with force_locale(recipient.locale):
        expectation = expectations.expectation_for_side(case, recipient.side, today=today)
        state = str(STATE_LABELS.get(case.state, case.state))
        subject = _templates.get_template(f"transition_subject.{recipient.locale}.txt").render(
            case=case, state=state
        ).strip()
        details = {"refusal_ground": None, "refusal_explanation": None, "information_request": None,
                   "agreement": None, "outcome": None, "termination_ground": None, "original_number": None}
        details.update(_details(case, row, recipient.side))
        body = _templates.get_template(f"transition.{recipient.locale}.txt").render(
            case=case,
            action=str(row.label),
            state=state,
            side=recipient.side,
            expectation=expectation,
            expected=str(expectation.sentence),
            link=f"{base_url}/cases/{case.number}" if recipient.user is not None else f"{base_url}/track",
            has_account=recipient.user is not None,
            contact=consumer_contact(case, masked=not case.consent_forward_contact)
            if recipient.side == expectations.ENTERPRISE else None,
            **details,
        )
    return subject, body


def notify_parties(session: Session, case: Case, row: Row, *, now: datetime, base_url: str) -> int:
    """Queue one e-mail to each party of a transition they can see; internal steps notify nobody."""
    if row.visibility != Visibility.PARTIES:
        return 0
    today = local_date(now)
    recipients = party_recipients(session, case)
    for recipient in recipients:
        subject, body = render_transition_email(case, row, recipient, today=today, base_url=base_url)
        notifications.queue_message(session, recipient.address, subject, body, case)
    told = {recipient.side for recipient in recipients}
    if NOTICE_CLOCK in row.start and told == {expectations.APPLICANT, expectations.ENTERPRISE}:
        deadlines.stop_clock(case, NOTICE_CLOCK, now=now)
    return len(recipients)


def transition_notifier(base_url: str) -> TransitionListener:
    """The engine's listener that notifies the parties, with links under this site's public address."""

    def notify(session: Session, case: Case, row: Row, actor: User | None, now: datetime) -> None:
        notify_parties(session, case, row, now=now, base_url=base_url)

    return notify
