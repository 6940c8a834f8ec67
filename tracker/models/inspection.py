"""Arbitration inspection and appraisal records: inspection bodies, the commission, samples and report rounds."""

from datetime import date
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import backref
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from tracker.extensions import db
from tracker.models.audit import AuditEvent
from tracker.models.cases import Case
from tracker.models.portal import Evidence
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow
from tracker.models.users import User

#: Who pays the commission's fee.
FEE_PAYERS = ("applicant", "enterprise", "shared")
#: What the judgement is measured against.
BASIS_KINDS = ("standard", "agreed_quality")
#: The steps of a sample's custody, in the order they normally happen.
CUSTODY_STEPS = ("received", "stored", "tested", "returned", "disposed")


class InspectionBody(db.Model):
    """A laboratory or inspection organisation; its staff act as experts on its own cases only."""

    __tablename__ = "inspection_bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: Accreditation certificate number (e.g. CMA/CNAS).
    accreditation_number: Mapped[str | None] = mapped_column(String(100))
    #: The products and tests the accreditation covers, as published on the certificate.
    accreditation_scope: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<InspectionBody {self.id} {self.name!r}>"


class Commission(db.Model):
    """The 委托书: what is inspected or appraised, against what, by when, who pays; both parties confirm it."""

    __tablename__ = "commissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    product_name: Mapped[str] = mapped_column(String(200))
    product_model: Mapped[str | None] = mapped_column(String(100))
    product_grade: Mapped[str | None] = mapped_column(String(100))
    maker: Mapped[str] = mapped_column(String(200))
    production_date: Mapped[date | None] = mapped_column(Date)
    batch: Mapped[str | None] = mapped_column(String(100))
    #: The party or body that asks for the work (委托方).
    applicant_name: Mapped[str] = mapped_column(String(200))
    #: "standard" or "agreed_quality".
    basis_kind: Mapped[str] = mapped_column(String(20))
    #: The standard's number and title, or the quality the parties agreed.
    basis_text: Mapped[str] = mapped_column(Text)
    test_items: Mapped[str] = mapped_column(Text)
    sampling_method: Mapped[str] = mapped_column(Text)
    report_due_on: Mapped[date] = mapped_column(Date)
    fee_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    #: "applicant", "enterprise" or "shared".
    fee_payer: Mapped[str] = mapped_column(String(20))
    fee_due_on: Mapped[date] = mapped_column(Date)
    #: Bumped at every edit; a confirmation names the revision it agreed to.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    consumer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consumer_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    enterprise_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enterprise_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(backref=backref("commission", uselist=False))

    @property
    def confirmed_by_both(self) -> bool:
        """Work starts only when the applicant and the enterprise have both agreed to this revision."""
        return self.consumer_confirmed_at is not None and self.enterprise_confirmed_at is not None

    def __repr__(self) -> str:
        return f"<Commission case={self.case_id} rev={self.revision}>"


class ReportRound(db.Model):
    """One round of inspection or appraisal: who, report, service, objection, fee; a second round links the first."""

    __tablename__ = "report_rounds"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: The round an objection to whose report opened this one.
    previous_round_id: Mapped[int | None] = mapped_column(ForeignKey("report_rounds.id"))
    #: Arbitration inspection: the body that tests.
    inspection_body_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_bodies.id"), index=True)
    #: Appraisal: the experts who signed this round's report (JSON list of user ids), fixed when it is issued.
    panel_expert_ids: Mapped[str | None] = mapped_column(Text)
    report_evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    report_reference: Mapped[str | None] = mapped_column(String(100))
    issued_on: Mapped[date | None] = mapped_column(Date)
    #: The day the report reached both parties; the objection window counts from it.
    served_on: Mapped[date | None] = mapped_column(Date)
    objection_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    objection_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    objection_reason: Mapped[str | None] = mapped_column(Text)
    final_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fee_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    #: "applicant", "enterprise" or "shared".
    fee_paid_by: Mapped[str | None] = mapped_column(String(20))
    fee_paid_on: Mapped[date | None] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(backref=backref("report_rounds", order_by="ReportRound.number"))
    previous_round: Mapped["ReportRound | None"] = relationship(remote_side=[id])
    inspection_body: Mapped[InspectionBody | None] = relationship()
    report_file: Mapped[Evidence | None] = relationship()
    objection_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ReportRound case={self.case_id} #{self.number}>"


class SamplingRecord(db.Model):
    """Samples taken and sealed: when, where, how many, under which seals, before whom."""

    __tablename__ = "sampling_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    sampled_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    seal_numbers: Mapped[str] = mapped_column(String(300))
    #: Names of those present at sampling (parties, officer, witnesses).
    present: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(backref=backref("sampling_records", order_by="SamplingRecord.id"))
    custody: Mapped[list["CustodyEntry"]] = relationship(back_populates="sampling", order_by="CustodyEntry.id")

    def __repr__(self) -> str:
        return f"<SamplingRecord case={self.case_id} seals={self.seal_numbers!r}>"


class CustodyEntry(db.Model):
    """One hand-over of the samples; each entry is also an audit event of the case."""

    __tablename__ = "custody_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    sampling_id: Mapped[int] = mapped_column(ForeignKey("sampling_records.id"), index=True)
    #: One of CUSTODY_STEPS.
    step: Mapped[str] = mapped_column(String(20))
    #: Who physically handled the samples.
    handled_by: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    audit_event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"))

    sampling: Mapped[SamplingRecord] = relationship(back_populates="custody")
    audit_event: Mapped[AuditEvent] = relationship()

    def __repr__(self) -> str:
        return f"<CustodyEntry {self.step} sampling={self.sampling_id}>"
