"""People who use Case Tracker and the enterprises that answer cases."""

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow


class Role(StrEnum):
    """The one role each account has."""

    CONSUMER = "consumer"
    OFFICER = "officer"
    EXPERT = "expert"
    ENTERPRISE = "enterprise"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.OFFICER, Role.ADMIN})


class Enterprise(db.Model):
    """A business named in cases; an officer confirms the ones consumers enter."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    #: 统一社会信用代码: 18 characters, unique when known.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    #: False while an enterprise entered by a consumer awaits an officer's check.
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Set when an administrator merged this consumer-entered duplicate into another enterprise.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="enterprise")
    merged_into: Mapped["Enterprise | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Enterprise {self.id} {self.name!r}>"


class User(UserMixin, db.Model):
    """An account with exactly one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(40))
    #: argon2id hash; never the password itself.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    #: Set for enterprise users: the only enterprise whose cases they see.
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    #: Experts' field of expertise, used when forming panels.
    specialty: Mapped[str | None] = mapped_column(Text)
    #: Set for an inspection body's staff: they act as experts on that body's cases only.
    inspection_body_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_bodies.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The language of the e-mails this user receives ("zh" or "en").
    locale: Mapped[str] = mapped_column(String(5), default="zh", server_default="zh")

    enterprise: Mapped[Enterprise | None] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses sessions of deactivated accounts."""
        return self.active

    @property
    def is_staff(self) -> bool:
        """Officers and administrators see every case."""
        return self.role in STAFF_ROLES

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"
