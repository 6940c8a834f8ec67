"""Mediation of a complaint: sessions, the agreement that settles it, and how it ended without one."""

from datetime import date
from datetime import datetime
from decimal import Decimal

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


class MediationSession(db.Model):
    """A meeting of the parties with a mediator, on site or remote; minutes and outcome come afterwards."""

    __tablename__ = "mediation_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: "on_site" (place) or "remote" (link).
    mode: Mapped[str] = mapped_column(String(10))
    place: Mapped[str | None] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))
    mediator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: Who takes part, as the officer wrote it (names and sides).
    participants: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str | None] = mapped_column(Text)
    #: A code of SESSION_OUTCOMES once the session took place.
    outcome: Mapped[str | None] = mapped_column(String(20))
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case", backref=db.backref("mediation_sessions", order_by="MediationSession.starts_at"))
    mediator = relationship("User", foreign_keys=[mediator_id])

    def __repr__(self) -> str:
        return f"<MediationSession case={self.case_id} at={self.starts_at}>"


class MediationAgreement(db.Model):
    """The terms the parties agreed in mediation; recording it settles the complaint."""

    __tablename__ = "mediation_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    terms: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    #: The day by which the enterprise must have carried the agreement out.
    perform_by: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case", backref=db.backref("mediation_agreements", order_by="MediationAgreement.id"))

    def __repr__(self) -> str:
        return f"<MediationAgreement case={self.case_id} by={self.perform_by}>"


class MediationEnding(db.Model):
    """Why a mediation ended without agreement; the sweep writes one (with no officer) when the limit runs out."""

    __tablename__ = "mediation_endings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: A code of TERMINATION_GROUNDS (tracker.workflow.guards).
    ground: Mapped[str] = mapped_column(String(40))
    #: None when the scheduled sweep ended it.
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case", backref=db.backref("mediation_endings", order_by="MediationEnding.id"))

    def __repr__(self) -> str:
        return f"<MediationEnding case={self.case_id} {self.ground}>"
