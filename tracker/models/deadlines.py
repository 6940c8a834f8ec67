"""Rule sets, deadlines with their pauses, and the administrators' working-day calendar."""

from datetime import date
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow


class NonWorkingDayReceipt(StrEnum):
    """How a clock started on a non-working day counts: regulators differ, so each rule set says."""

    #: The first working day after the receipt is day 1 (the behaviour before rule sets said).
    NEXT_WORKING_DAY_IS_DAY_ONE = "day_one"
    #: The receipt moves to the next working day, which is day 0; the working day after it is day 1.
    NEXT_WORKING_DAY_IS_DAY_ZERO = "day_zero"


class RuleSet(db.Model):
    """The limits in force from a date; a case keeps the set in force on its filing date."""

    __tablename__ = "rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    acceptance_working_days: Mapped[int] = mapped_column(Integer)
    enterprise_response_working_days: Mapped[int] = mapped_column(Integer)
    mediation_working_days: Mapped[int] = mapped_column(Integer)
    mediation_notice_working_days: Mapped[int] = mapped_column(Integer)
    #: Calendar days, not working days.
    objection_days: Mapped[int] = mapped_column(Integer)
    #: Calendar days after closure during which an officer may reopen.
    reopen_window_days: Mapped[int] = mapped_column(Integer)
    #: How a working-day clock started on a non-working day is counted (a NonWorkingDayReceipt value).
    non_working_day_receipt: Mapped[str] = mapped_column(
        String(10),
        default=NonWorkingDayReceipt.NEXT_WORKING_DAY_IS_DAY_ONE,
        server_default=text(f"'{NonWorkingDayReceipt.NEXT_WORKING_DAY_IS_DAY_ONE}'"),
    )
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<RuleSet {self.code} from {self.effective_from}>"


class DeadlineStatus(StrEnum):
    """Life of a clock."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    CANCELLED = "cancelled"


class Deadline(db.Model):
    """One clock of a case: when it started, when it is due, and whether it was missed."""

    __tablename__ = "deadlines"
    #: The sweep reads running clocks not yet marked overdue, oldest due date first, through ix_deadlines_sweep:
    #: only unmarked clocks are in it, so clocks marked by earlier sweeps are not read again, and its order is
    #: the sweep's, so no planner prefers reading the whole table (PostgreSQL's estimate of due, unmarked clocks
    #: is far too high: it cannot know that a clock past due has been marked). The sweep's other steps
    #: (mediations past their time limit, objection windows that ended) look for one named clock's running rows
    #: due before today, marked or not: ix_deadlines_lapse. Its first step looks for the few clocks whose due date
    #: waits for a calendar year: ix_deadlines_calendar_pending holds only those.
    __table_args__ = (
        Index("ix_deadlines_sweep", "status", "due_on",
              postgresql_where=text("overdue_at IS NULL"), sqlite_where=text("overdue_at IS NULL")),
        Index("ix_deadlines_lapse", "clock", "status", "due_on"),
        Index("ix_deadlines_calendar_pending", "status",
              postgresql_where=text("calendar_pending IS true"), sqlite_where=text("calendar_pending IS 1")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    clock: Mapped[str] = mapped_column(String(40))
    #: "working" or "calendar" days.
    counting: Mapped[str] = mapped_column(String(10))
    #: None when the due date was agreed rather than counted (a commission's report date).
    length_days: Mapped[int | None] = mapped_column(Integer)
    started_on: Mapped[date] = mapped_column(Date)
    #: None while calendar_pending or paused.
    due_on: Mapped[date | None] = mapped_column(Date)
    #: The due date reaches a year the calendar does not cover yet.
    calendar_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default=DeadlineStatus.RUNNING)
    #: Who must act before the due date: officer, enterprise, applicant or parties.
    responsible: Mapped[str] = mapped_column(String(20))
    #: Working (or calendar) days added by pauses so far.
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case = relationship("Case", backref="deadlines")
    pauses: Mapped[list["DeadlinePause"]] = relationship(
        back_populates="deadline", order_by="DeadlinePause.id"
    )

    @property
    def is_overdue(self) -> bool:
        """Marked by the sweep once the due date passed unmet."""
        return self.overdue_at is not None

    def __repr__(self) -> str:
        return f"<Deadline {self.clock} case={self.case_id} due={self.due_on} {self.status}>"


class DeadlinePause(db.Model):
    """An interval during which a clock stood still (waiting for the applicant or a test)."""

    __tablename__ = "deadline_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id"), index=True)
    paused_on: Mapped[date] = mapped_column(Date)
    resumed_on: Mapped[date | None] = mapped_column(Date)
    #: Days the due date moved when the clock resumed.
    days_added: Mapped[int | None] = mapped_column(Integer)

    deadline: Mapped[Deadline] = relationship(back_populates="pauses")


class CalendarYear(db.Model):
    """A year the administrators entered because the calendar package does not cover it."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: Only a complete year is used; until then deadlines reaching it stay pending.
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarDay(db.Model):
    """An exception to Monday–Friday in an administrator-entered year: a holiday or a 调休 working day."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_years.year"), index=True)
    is_working_day: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(100))

    #: Declared so that a new year is inserted before its days.
    calendar_year: Mapped[CalendarYear] = relationship()


class Alert(db.Model):
    """Something the administrators must act on, such as a missing calendar year."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Deduplication key, e.g. "calendar:2027"; one open alert per key.
    key: Mapped[str] = mapped_column(String(100), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The administrator who resolved it and what they did (None when a command resolved it).
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
