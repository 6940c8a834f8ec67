"""Invitations to open a staff, expert or enterprise account, and the enterprises' answers to their cases."""

from datetime import date
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow


class Invitation(db.Model):
    """A single-use link, sent by e-mail, with which its recipient opens an account of the given role."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token in the link; the token itself is only ever in the e-mail.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20))
    #: Set for enterprise users: the enterprise whose cases the new account will see.
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set once the link was used; a used link never works again.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Set when a newer invitation to the same address replaced this one, or it was withdrawn.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enterprise = relationship("Enterprise")
    invited_by = relationship("User", foreign_keys=[invited_by_id])
    accepted_user = relationship("User", foreign_keys=[accepted_user_id])

    def is_pending(self, now: datetime) -> bool:
        """Neither used, withdrawn nor expired."""
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at

    def __repr__(self) -> str:
        return f"<Invitation {self.email} {self.role}>"


class CaseAnswer(db.Model):
    """One answer of the enterprise to a case; a case may gather several over time."""

    __tablename__ = "case_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: explanation, repair, replacement, refund, compensation or disputed.
    outcome: Mapped[str] = mapped_column(String(20))
    explanation: Mapped[str] = mapped_column(Text)
    #: What the enterprise offers, for the consumer to accept or refuse; None when no settlement is proposed.
    settlement_terms: Mapped[str | None] = mapped_column(Text)
    settlement_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    #: The date by which the enterprise will have carried the settlement out.
    settlement_due_on: Mapped[date | None] = mapped_column(Date)
    #: A response the enterprise agrees to publish, kept for the future public register.
    public_response: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The enterprise's response deadline when it answered; None when no response clock was running.
    due_on: Mapped[date | None] = mapped_column(Date)
    #: Answered after the due date (accepted all the same).
    late: Mapped[bool] = mapped_column(Boolean, default=False)

    case = relationship("Case", backref=db.backref("answers", order_by="CaseAnswer.id"))
    author = relationship("User")
    files = relationship("Evidence", secondary="case_answer_files", order_by="Evidence.id")

    def __repr__(self) -> str:
        return f"<CaseAnswer case={self.case_id} {self.outcome}{' late' if self.late else ''}>"


class CaseAnswerFile(db.Model):
    """An evidence file attached to an answer (the file itself is ordinary case evidence)."""

    __tablename__ = "case_answer_files"

    answer_id: Mapped[int] = mapped_column(ForeignKey("case_answers.id"), primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), primary_key=True)
