"""What an officer adds while screening cases: requests for information, links between cases, reply templates."""

from datetime import date
from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow


class InformationRequest(db.Model):
    """What the applicant must supply, and by when; written with the request_information transition."""

    __tablename__ = "information_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: One missing item per line, as the officer wrote them.
    items: Mapped[str] = mapped_column(Text)
    reply_by: Mapped[date] = mapped_column(Date)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case", backref=db.backref("information_requests", order_by="InformationRequest.id"))

    @property
    def item_list(self) -> list[str]:
        """The missing items, one per non-empty line."""
        return [line.strip() for line in self.items.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<InformationRequest case={self.case_id} by={self.reply_by}>"


class CaseLink(db.Model):
    """Two related cases; stored once with the smaller id first, shown on both pages."""

    __tablename__ = "case_links"
    __table_args__ = (
        UniqueConstraint("case_id", "other_case_id", name="uq_case_links_pair"),
        CheckConstraint("case_id < other_case_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    other_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case", foreign_keys=[case_id])
    other_case = relationship("Case", foreign_keys=[other_case_id])

    def __repr__(self) -> str:
        return f"<CaseLink {self.case_id}-{self.other_case_id}>"


class ReplyTemplate(db.Model):
    """A reply an officer can pick, edit and send; administrators keep it in both languages."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short handle shown in the officer's picker, e.g. "ask_invoice".
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def title(self, locale: str) -> str:
        """The title in the reader's language."""
        return self.title_en if locale == "en" else self.title_zh

    def body(self, locale: str) -> str:
        """The text in the language the case's applicant reads."""
        return self.body_en if locale == "en" else self.body_zh

    def __repr__(self) -> str:
        return f"<ReplyTemplate {self.code}>"
