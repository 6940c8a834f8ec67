"""Cases, their expert panels and the counters behind their numbers."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
from sqlalchemy.orm import validates

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow
from tracker.models.users import Enterprise
from tracker.models.users import User


class CaseKind(StrEnum):
    """The four kinds of case (DESIGN §2)."""

    COMPLAINT = "complaint"
    QUALITY_APPEAL = "quality_appeal"
    ARBITRATION = "arbitration"
    APPRAISAL = "appraisal"


#: Prefix of each kind's case number: 投诉, 申诉, 仲裁, 鉴定.
CASE_NUMBER_PREFIX = {
    CaseKind.COMPLAINT: "TS",
    CaseKind.QUALITY_APPEAL: "SS",
    CaseKind.ARBITRATION: "ZC",
    CaseKind.APPRAISAL: "JD",
}

_state_write_allowed: ContextVar[bool] = ContextVar("state_write_allowed", default=False)


class StateWriteRefused(RuntimeError):
    """Raised when code outside the workflow tries to set a case's state."""


@contextmanager
def state_write() -> Iterator[None]:
    """Open the only door to the state column; used by the workflow alone."""
    token = _state_write_allowed.set(True)
    try:
        yield
    finally:
        _state_write_allowed.reset(token)


class Case(db.Model):
    """One complaint, appeal, arbitration inspection or appraisal request."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Human-readable and unique, e.g. TS-2026-000123.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    #: SHA-256 of the public access code (the code has ~50 bits of entropy, so a fast hash suffices).
    access_code_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    #: Written only by tracker.workflow (see state_write).
    state: Mapped[str] = mapped_column(String(40), index=True)
    #: Optimistic lock: every UPDATE checks and bumps it.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id"))

    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    assigned_officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: The case this one grew from (e.g. an appraisal requested after failed mediation).
    related_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))

    product_name: Mapped[str] = mapped_column(String(200))
    product_model: Mapped[str | None] = mapped_column(String(100))
    product_batch: Mapped[str | None] = mapped_column(String(100))
    production_date: Mapped[date | None] = mapped_column(Date)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_place: Mapped[str | None] = mapped_column(String(200))
    amount_paid: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    #: Traceability / anti-counterfeit verification mark code printed on the product, if any.
    mark_code: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(64))
    issue: Mapped[str | None] = mapped_column(String(64))
    narrative: Mapped[str] = mapped_column(Text)
    remedy_sought: Mapped[str | None] = mapped_column(Text)

    #: Version of the privacy notice the applicant accepted.
    consent_privacy_version: Mapped[str | None] = mapped_column(String(20))
    consent_forward_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_publish: Mapped[bool] = mapped_column(Boolean, default=False)

    #: Contact details, needed when the applicant files without an account (personal data).
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    #: Quality appeal: the decision or inspection report appealed against.
    appealed_decision: Mapped[str | None] = mapped_column(Text)
    #: Arbitration and appraisal: who asks (party, court, arbitration body, mediator).
    applicant_standing: Mapped[str | None] = mapped_column(String(30))
    #: Arbitration and appraisal: the questions the inspection or panel must answer.
    questions: Mapped[str | None] = mapped_column(Text)
    #: The filing draft's token: a second submission of the same draft finds this case instead of making another.
    submission_token: Mapped[str | None] = mapped_column(String(43), unique=True)
    #: Set when the applicant asks to reopen a closed case; an officer decides.
    reopen_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: Coded reason when refused (DESIGN §3, art. 15).
    refusal_code: Mapped[str | None] = mapped_column(String(40))
    #: The officer's explanation of the refusal, shown to the applicant (not on public tracking).
    refusal_explanation: Mapped[str | None] = mapped_column(Text)
    #: Set when this case was closed as a duplicate of another; its evidence and messages show there too.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    #: Outcome of a decided appeal or a settled complaint.
    outcome: Mapped[str | None] = mapped_column(String(40))
    #: Date an inspection or appraisal report reached the parties; starts the objection window.
    report_issued_on: Mapped[date | None] = mapped_column(Date)

    #: Hash of the newest audit event, so that cutting events off the end of the chain is detected too.
    audit_head_hash: Mapped[str | None] = mapped_column(String(64))

    #: Indexed (with accepted_at and closed_at) for the dashboard's weekly counts and medians.
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Set when an officer accepts the case; from then on the enterprise named in it can see it.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    rule_set: Mapped["RuleSet"] = relationship()  # noqa: F821 - resolved by the registry
    applicant: Mapped[User | None] = relationship(foreign_keys=[applicant_id])
    enterprise: Mapped[Enterprise | None] = relationship()
    assigned_officer: Mapped[User | None] = relationship(foreign_keys=[assigned_officer_id])
    related_case: Mapped["Case | None"] = relationship(remote_side=[id], foreign_keys=[related_case_id])
    merged_into: Mapped["Case | None"] = relationship(
        remote_side=[id], foreign_keys=[merged_into_id], backref="merged_duplicates"
    )
    panel: Mapped[list["PanelMember"]] = relationship(
        back_populates="case", order_by="PanelMember.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @validates("state")
    def _only_the_workflow_writes_state(self, key: str, value: str) -> str:
        """Keep the state column's single writer honest at run time."""
        if not _state_write_allowed.get():
            raise StateWriteRefused("a case's state changes only through tracker.workflow.fire")
        return value

    @property
    def panel_round(self) -> int:
        """The round the current panel sits in: an objection to an appraisal report opens a round of its own,
        whose panel starts empty and may include no one from an earlier round."""
        numbers = [member.round_number for member in self.panel]
        numbers += [report_round.number for report_round in self.report_rounds]
        return max(numbers, default=1)

    @property
    def active_panel(self) -> list["PanelMember"]:
        """Members of the current round's panel who have not left it."""
        current = self.panel_round
        return [member for member in self.panel if member.recused_at is None and member.round_number == current]

    def __repr__(self) -> str:
        return f"<Case {self.number} {self.kind} {self.state}>"


class PanelMember(db.Model):
    """An expert appointed to review a case; recusal keeps the row and ends the membership."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("case_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recusal_reason: Mapped[str | None] = mapped_column(Text)
    #: The member who compiles the panel's conclusion.
    is_chair: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: 1 for the first panel; a later round after an objection sits with new members.
    round_number: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    #: Why the member left: "declined", "conflict" (declared), "recused" (a party's request granted).
    departure: Mapped[str | None] = mapped_column(String(20))

    case: Mapped[Case] = relationship(back_populates="panel")
    expert: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PanelMember case={self.case_id} expert={self.expert_id}>"


class CaseNumberCounter(db.Model):
    """Last number handed out per prefix and year, incremented atomically."""

    __tablename__ = "case_number_counters"

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
