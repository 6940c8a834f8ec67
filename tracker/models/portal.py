"""What consumers add to a case: drafts, evidence, representatives, messages, ratings; and the taxonomy."""

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow


class FilingDraft(db.Model):
    """A filing in progress: what the consumer typed and uploaded survives errors, reloads and the review step."""

    __tablename__ = "filing_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unguessable handle in URLs; also the case's submission token, which makes submitting idempotent.
    token: Mapped[str] = mapped_column(String(43), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: The signed-in owner, or None for a filing without an account (then owner_key ties it to the browser).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: SHA-256 of a random key kept in the anonymous visitor's session cookie.
    owner_key_hash: Mapped[str | None] = mapped_column(String(64))
    #: The form's fields as JSON text.
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    #: The case this filing follows up (an arbitration or appraisal request after a failed mediation).
    related_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))

    evidence: Mapped[list["Evidence"]] = relationship(back_populates="draft", order_by="Evidence.id")
    case = relationship("Case", foreign_keys=[case_id])
    related_case = relationship("Case", foreign_keys=[related_case_id])

    def __repr__(self) -> str:
        return f"<FilingDraft {self.kind} case={self.case_id}>"


class Evidence(db.Model):
    """A photo or PDF, stored on disk under a content-hash name; rows point at a draft until it is filed."""

    __tablename__ = "evidence"
    __table_args__ = (CheckConstraint("case_id IS NOT NULL OR draft_id IS NOT NULL", name="attached"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("filing_drafts.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: "evidence", "power_of_attorney" or "supplement".
    purpose: Mapped[str] = mapped_column(String(20), default="evidence")
    #: Path relative to the upload folder, e.g. "ab/ab12….jpg"; never derived from the uploaded name.
    stored_name: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(50))
    #: The name as uploaded (Chinese included), for display and the download header only.
    original_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[FilingDraft | None] = relationship(back_populates="evidence")
    case = relationship("Case", backref="evidence")

    def __repr__(self) -> str:
        return f"<Evidence {self.original_name!r} case={self.case_id}>"


class Representative(db.Model):
    """Someone acting for the applicant (at most two per case, DESIGN §3) with a power of attorney."""

    __tablename__ = "representatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    power_of_attorney_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))

    case = relationship("Case", backref="representatives")
    power_of_attorney: Mapped[Evidence | None] = relationship()


class Message(db.Model):
    """A message on a case: to the parties, or an internal note for staff only."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    #: "parties" or "staff" (an internal note).
    visibility: Mapped[str] = mapped_column(String(10), default="parties")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User")
    case = relationship("Case", backref="messages")


class Rating(db.Model):
    """The applicant's satisfaction with the handling, once the case is closed."""

    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case", backref=db.backref("rating", uselist=False))


class TaxonomyTerm(db.Model):
    """A product category or an issue type, named in both languages; administrators maintain the list."""

    __tablename__ = "taxonomy_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "category" or "issue".
    vocabulary: Mapped[str] = mapped_column(String(20), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ThrottleEvent(db.Model):
    """One counted attempt (a failed access-code lookup, a failed login) for rate limiting across hosts."""

    __tablename__ = "throttle_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What is limited, e.g. "track:ip:203.0.113.9" or "track:case:TS-2026-000123".
    key: Mapped[str] = mapped_column(String(200), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
