"""Column types shared by the models."""

from datetime import UTC
from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

#: The largest value an Integer primary key holds (PostgreSQL's int4); a larger id, as typed into a form, names no row.
MAX_ROW_ID = 2**31 - 1


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (used as a callable column default)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Refuse naive datetimes: they are the classic source of off-by-eight-hours bugs."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        """Attach UTC to what SQLite returns naive."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
