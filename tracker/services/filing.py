"""Filing online: drafts that keep what the consumer typed, idempotent submission, claiming, duplicate hints."""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path
from typing import Any
from typing import BinaryIO

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker import notifications
from tracker.evidence import EvidenceRejected
from tracker.models import MAX_ROW_ID
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Deadline
from tracker.models import Enterprise
from tracker.models import Evidence
from tracker.models import FilingDraft
from tracker.models import Representative
from tracker.models import TaxonomyTerm
from tracker.models import User
from tracker.models import Visibility
from tracker.models import utcnow
from tracker.security import access_code_matches
from tracker.security import hash_access_code
from tracker.security import new_access_code
from tracker.services import throttle
from tracker.services.attachments import EvidencePolicy
from tracker.services.attachments import QuotaExceeded
from tracker.services.attachments import attach_evidence
from tracker.services.attachments import remove_draft_evidence
from tracker.services.cases import FilingError
from tracker.services.cases import submit_case
from tracker.workflow import TERMINAL_STATES

#: Version of the privacy notice the filing form shows; a case stores the version its applicant accepted.
PRIVACY_NOTICE_VERSION = "2026-11"
MAX_REPRESENTATIVES = 2
#: Who may ask for an arbitration inspection or an appraisal.
STANDINGS = ("party", "court", "arbitration_body", "mediator")

#: Draft fields holding dates and money, converted back from their JSON text on submission.
_DATE_FIELDS = ("production_date", "purchase_date")
_MONEY_FIELDS = ("amount_paid",)
#: Fields copied from the draft onto the case.
_CASE_FIELDS = (
    "product_name", "product_model", "product_batch", "production_date", "purchase_date", "purchase_place",
    "amount_paid", "mark_code", "category", "issue", "narrative", "remedy_sought",
    "consent_forward_contact", "consent_publish", "contact_name", "contact_email", "contact_phone",
    "appealed_decision", "applicant_standing", "questions",
)
#: Public tracking: failed lookups allowed per address and per case number within the window.
TRACK_WINDOW_MINUTES = 15
TRACK_LIMIT_PER_ADDRESS = 10
TRACK_LIMIT_PER_CASE = 5


def new_owner_key() -> str:
    """A random key kept in an anonymous visitor's session to prove they own their draft."""
    return secrets.token_urlsafe(24)


def hash_owner_key(owner_key: str) -> str:
    """Only the hash of the visitor's key is stored."""
    return hashlib.sha256(owner_key.encode()).hexdigest()


def _to_json(data: dict[str, Any]) -> str:
    def encode(value: Any) -> Any:
        if isinstance(value, (date, datetime, Decimal)):
            return str(value)
        return value

    return json.dumps({key: encode(value) for key, value in data.items()}, ensure_ascii=False, sort_keys=True)


def draft_data(draft: FilingDraft) -> dict[str, Any]:
    """The draft's fields, with dates and money typed again; text that is not a date or an amount stays as typed."""
    data = json.loads(draft.data or "{}")
    for key in _DATE_FIELDS:
        if data.get(key):
            try:
                data[key] = date.fromisoformat(data[key])
            except ValueError:
                pass
    for key in _MONEY_FIELDS:
        if data.get(key) not in (None, ""):
            try:
                data[key] = Decimal(data[key])
            except InvalidOperation:
                pass
    return data


def start_draft(session: Session, kind: CaseKind, owner: User | None, owner_key: str | None) -> FilingDraft:
    """A new, empty filing of a kind, owned by the account or by the anonymous browser's key."""
    if owner is None and not owner_key:
        raise ValueError("an anonymous draft needs the browser's key")
    draft = FilingDraft(
        token=secrets.token_urlsafe(32),
        kind=str(kind),
        owner_id=owner.id if owner is not None else None,
        owner_key_hash=hash_owner_key(owner_key) if owner is None else None,
        data="{}",
    )
    session.add(draft)
    return draft


def owns_draft(draft: FilingDraft | None, user: User | None, owner_key: str | None) -> bool:
    """The signed-in owner, or the anonymous browser holding the key, and only until it is filed."""
    if draft is None:
        return False
    if draft.owner_id is not None:
        return user is not None and getattr(user, "is_authenticated", False) and user.id == draft.owner_id
    return bool(owner_key) and secrets.compare_digest(draft.owner_key_hash or "", hash_owner_key(owner_key))


def find_draft(session: Session, token: str, *, for_update: bool = False) -> FilingDraft | None:
    """Look a draft up by its token, locking it when about to submit."""
    query = select(FilingDraft).where(FilingDraft.token == token)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def save_draft(draft: FilingDraft, data: dict[str, Any], *, now: datetime | None = None) -> None:
    """Keep what the consumer typed (every field, valid or not, so nothing is lost)."""
    draft.data = _to_json(data)
    draft.updated_at = now or utcnow()


@dataclass(frozen=True)
class Upload:
    """A file sent with the filing form: evidence, or the power of attorney of the representative at that index."""

    stream: BinaryIO
    original_name: str
    representative: int | None = None


@dataclass(frozen=True)
class UploadRefusal:
    """A file that was not kept, and why (a reason of EvidenceRejected or QuotaExceeded)."""

    original_name: str
    reason: str
    representative: int | None = None


def keep_draft(
    session: Session,
    draft: FilingDraft,
    data: dict[str, Any],
    uploads: list[Upload],
    *,
    root: Path,
    policy: EvidencePolicy,
    uploader: User | None,
    now: datetime | None = None,
) -> list[UploadRefusal]:
    """Keep everything the consumer sent, valid or not: the typed fields and every acceptable file.

    Powers of attorney are linked to their representative by the draft itself, never by an id the browser sent;
    a new one replaces the old. A refused file is reported and leaves nothing behind.
    """
    now = now or utcnow()
    kept_powers = [entry.get("power_of_attorney_id") for entry in draft_data(draft).get("representatives") or []]
    representatives = [
        {**entry, "power_of_attorney_id": kept_powers[index] if index < len(kept_powers) else None}
        for index, entry in enumerate(data.get("representatives") or [])
    ]
    refusals = []
    for upload in uploads:
        purpose = "evidence" if upload.representative is None else "power_of_attorney"
        try:
            evidence = attach_evidence(
                session, root=root, policy=policy, stream=upload.stream, original_name=upload.original_name,
                uploader=uploader, draft=draft, purpose=purpose, now=now,
            )
        except (EvidenceRejected, QuotaExceeded) as refusal:
            refusals.append(UploadRefusal(upload.original_name, refusal.reason, upload.representative))
            continue
        if upload.representative is not None and upload.representative < len(representatives):
            session.flush()
            entry = representatives[upload.representative]
            if entry["power_of_attorney_id"]:
                remove_draft_evidence(session, draft, entry["power_of_attorney_id"])
            entry["power_of_attorney_id"] = evidence.id
    save_draft(draft, {**data, "representatives": representatives}, now=now)
    return refusals


def remove_draft_file(session: Session, draft: FilingDraft, evidence_id: int) -> None:
    """Take a file off a draft, and off the representative it was the power of attorney of (LookupError if absent)."""
    remove_draft_evidence(session, draft, evidence_id)
    data = draft_data(draft)
    for entry in data.get("representatives") or []:
        if entry.get("power_of_attorney_id") == evidence_id:
            entry["power_of_attorney_id"] = None
    save_draft(draft, data)


def confirmed_enterprise(session: Session, enterprise_id: int | None) -> Enterprise | None:
    """The enterprise a consumer picked from the register, if it exists and an officer confirmed it."""
    if enterprise_id is None or not 0 < enterprise_id <= MAX_ROW_ID:
        return None
    enterprise = session.get(Enterprise, enterprise_id)
    return enterprise if enterprise is not None and enterprise.confirmed else None


def filed_draft(session: Session, case: Case) -> FilingDraft | None:
    """The draft a case was filed from, whose owner may see the confirmation page."""
    return session.scalars(select(FilingDraft).where(FilingDraft.case_id == case.id)).first()


def reissue_access_code(session: Session, case: Case, actor: User | None, *, now: datetime | None = None) -> str:
    """A new access code for a filer whose confirmation page never arrived; the old code stops working."""
    now = now or utcnow()
    access_code = new_access_code()
    case.access_code_hash = hash_access_code(access_code)
    audit.record(session, case, actor=actor, action="reissue_access_code", body={},
                 visibility=Visibility.STAFF, from_state=case.state, to_state=case.state, now=now)
    return access_code


def taxonomy(session: Session, vocabulary: str) -> list[TaxonomyTerm]:
    """The active terms of a vocabulary in display order."""
    return session.scalars(
        select(TaxonomyTerm)
        .where(TaxonomyTerm.vocabulary == vocabulary, TaxonomyTerm.active.is_(True))
        .order_by(TaxonomyTerm.position)
    ).all()


def search_enterprises(session: Session, text: str, limit: int = 10) -> list[Enterprise]:
    """Confirmed enterprises whose name contains the text or whose credit code starts with it."""
    text = text.strip()
    # A NUL byte is in no name, and PostgreSQL refuses to compare text that holds one.
    if len(text) < 2 or "\x00" in text:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return session.scalars(
        select(Enterprise)
        .where(
            Enterprise.confirmed.is_(True),
            Enterprise.name.ilike(pattern, escape="\\") | Enterprise.credit_code.startswith(text.upper()),
        )
        .order_by(Enterprise.name)
        .limit(limit)
    ).all()


def similar_open_cases(session: Session, applicant: User | None, data: dict[str, Any]) -> list[Case]:
    """The applicant's open cases against the same enterprise and product: shown as a hint before submitting."""
    if applicant is None or not data.get("enterprise_id") or not data.get("product_name"):
        return []
    return session.scalars(
        select(Case).where(
            Case.applicant_id == applicant.id,
            Case.enterprise_id == data["enterprise_id"],
            func.lower(Case.product_name) == str(data["product_name"]).strip().lower(),
            Case.state.not_in([*TERMINAL_STATES, "closed"]),
        )
    ).all()


def _resolve_enterprise(session: Session, data: dict[str, Any]) -> Enterprise:
    """The chosen enterprise, or a new unconfirmed one (reused if its credit code is known)."""
    if data.get("enterprise_id"):
        enterprise = session.get(Enterprise, int(data["enterprise_id"]))
        if enterprise is None:
            raise FilingError("enterprise_id")
        return enterprise
    name = str(data.get("enterprise_name") or "").strip()
    if not name:
        raise FilingError("enterprise_name")
    code = str(data.get("enterprise_credit_code") or "").strip().upper() or None
    if code:
        known = session.scalars(select(Enterprise).where(Enterprise.credit_code == code)).first()
        if known is not None:
            return known
    enterprise = Enterprise(name=name, credit_code=code, address=data.get("enterprise_address") or None,
                            confirmed=False)
    session.add(enterprise)
    session.flush()
    return enterprise


def submit_draft(
    session: Session, draft: FilingDraft, applicant: User | None, *, now: datetime | None = None
) -> tuple[Case, str | None]:
    """File the draft as a case once; submitting it again returns the same case and no new access code."""
    now = now or utcnow()
    if draft.case is not None:
        return draft.case, None
    data = draft_data(draft)
    for key in (*_DATE_FIELDS, *_MONEY_FIELDS):
        if isinstance(data.get(key), str) and data[key]:
            raise FilingError(key)
    if not data.get("consent_privacy"):
        raise FilingError("consent_privacy")
    representatives = [entry for entry in data.get("representatives") or [] if entry.get("name")]
    if len(representatives) > MAX_REPRESENTATIVES:
        raise FilingError("representatives")
    kind = CaseKind(draft.kind)
    if kind in (CaseKind.ARBITRATION, CaseKind.APPRAISAL) and data.get("applicant_standing") not in STANDINGS:
        raise FilingError("applicant_standing")
    if kind == CaseKind.QUALITY_APPEAL and not str(data.get("appealed_decision") or "").strip():
        raise FilingError("appealed_decision")
    reachable = data.get("contact_email") or data.get("contact_phone")
    if applicant is None and not (data.get("contact_name") and reachable):
        raise FilingError("contact_name")
    enterprise = _resolve_enterprise(session, data)
    filing = {key: data[key] for key in _CASE_FIELDS if data.get(key) not in (None, "")}
    filing["enterprise_id"] = enterprise.id
    filing["consent_privacy_version"] = PRIVACY_NOTICE_VERSION
    filing["submission_token"] = draft.token
    if draft.related_case_id is not None:
        filing["related_case_id"] = draft.related_case_id
    case, access_code = submit_case(session, applicant, kind, filing, now=now)
    for evidence in draft.evidence:
        evidence.case = case
    for representative in representatives:
        row = Representative(name=representative["name"], phone=representative.get("phone") or None,
                             power_of_attorney_id=representative.get("power_of_attorney_id"))
        row.case = case
        session.add(row)
    draft.case = case
    if draft.evidence or representatives:
        audit.record(
            session, case, actor=applicant, action="attach_evidence",
            body={"files": [{"sha256": e.sha256, "purpose": e.purpose, "size": e.size} for e in draft.evidence],
                  "representatives": len(representatives)},
            visibility=Visibility.PARTIES, from_state=case.state, to_state=case.state, now=now,
        )
    recipient = applicant.email if applicant is not None else data.get("contact_email")
    if recipient:
        session.flush()
        notifications.queue_message(
            session, recipient,
            f"[Case Tracker] {case.number}",
            f"您的案件 {case.number} 已收到。请妥善保管提交时获得的查询码，"
            "凭案件编号和查询码可在 /track 查询案件进展。\n\n"
            f"Your case {case.number} has been received. Keep your access code to follow it at /track.",
            case,
        )
    return case, access_code


def first_deadline(case: Case) -> Deadline | None:
    """The clock the applicant sees on the confirmation page (the decision to accept or refuse)."""
    return next((deadline for deadline in case.deadlines if deadline.clock == "acceptance"), None)


def _tracking_keys(number: str, remote_addr: str | None) -> list[tuple[str, int]]:
    return [
        (f"track:ip:{remote_addr or 'unknown'}", TRACK_LIMIT_PER_ADDRESS),
        (f"track:case:{number.upper()}", TRACK_LIMIT_PER_CASE),
    ]


def find_by_access_code(
    session: Session, number: str, access_code: str, *, remote_addr: str | None, now: datetime | None = None
) -> Case | None:
    """The case if number and code match; failures are counted and too many are throttled (Throttled)."""
    now = now or utcnow()
    number = number.strip().upper()
    keys = _tracking_keys(number, remote_addr)
    window = timedelta(minutes=TRACK_WINDOW_MINUTES)
    throttle.check(session, keys, window, now=now)
    case = session.scalars(select(Case).where(Case.number == number)).first()
    if case is not None and access_code_matches(case.access_code_hash, access_code):
        return case
    throttle.count_attempt(session, keys, now=now)
    return None


def claim_case(
    session: Session, user: User, number: str, access_code: str, *, remote_addr: str | None,
    now: datetime | None = None,
) -> Case | None:
    """Attach a case filed without an account to the consumer who holds its access code."""
    now = now or utcnow()
    case = find_by_access_code(session, number, access_code, remote_addr=remote_addr, now=now)
    if case is None:
        return None
    if case.applicant_id is not None and case.applicant_id != user.id:
        raise FilingError("already_claimed")
    if case.applicant_id == user.id:
        return case
    case.applicant = user
    audit.record(session, case, actor=user, action="claim", body={"user_id": user.id},
                 visibility=Visibility.STAFF, from_state=case.state, to_state=case.state, now=now)
    return case


def purge_abandoned_drafts(session: Session, *, older_than: datetime) -> list[str]:
    """Delete drafts never filed and untouched since the cutoff, with their file rows.

    Returns the stored names that no remaining row references, for the caller to delete from disk after
    the transaction commits (a rolled-back purge must not have removed files).
    """
    abandoned = session.scalars(
        select(FilingDraft).where(FilingDraft.case_id.is_(None), FilingDraft.updated_at < older_than)
    ).all()
    candidates = set()
    for draft in abandoned:
        for evidence in draft.evidence:
            candidates.add(evidence.stored_name)
            session.delete(evidence)
        session.delete(draft)
    session.flush()
    if not candidates:
        return []
    still_used = set(session.scalars(select(Evidence.stored_name).where(Evidence.stored_name.in_(candidates))))
    return sorted(candidates - still_used)
