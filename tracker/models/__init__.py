"""The typed SQLAlchemy models; import them from here."""

from tracker.models.audit import AuditEvent, SecurityEvent, Visibility
from tracker.models.cases import (
    CASE_NUMBER_PREFIX,
    Case,
    CaseKind,
    CaseNumberCounter,
    PanelMember,
    StateWriteRefused,
    state_write,
)
from tracker.models.deadlines import (
    Alert,
    CalendarDay,
    CalendarYear,
    Deadline,
    DeadlinePause,
    DeadlineStatus,
    RuleSet,
)
from tracker.models.outbox import OutboxMessage
from tracker.models.portal import (
    Evidence,
    FilingDraft,
    Message,
    Rating,
    Representative,
    TaxonomyTerm,
    ThrottleEvent,
)
from tracker.models.types import UTCDateTime, utcnow
from tracker.models.users import STAFF_ROLES, Enterprise, Role, User

__all__ = [
    "CASE_NUMBER_PREFIX",
    "STAFF_ROLES",
    "Alert",
    "AuditEvent",
    "CalendarDay",
    "CalendarYear",
    "Case",
    "CaseKind",
    "CaseNumberCounter",
    "Deadline",
    "DeadlinePause",
    "DeadlineStatus",
    "Enterprise",
    "Evidence",
    "FilingDraft",
    "Message",
    "Rating",
    "Representative",
    "TaxonomyTerm",
    "ThrottleEvent",
    "OutboxMessage",
    "PanelMember",
    "Role",
    "RuleSet",
    "SecurityEvent",
    "StateWriteRefused",
    "UTCDateTime",
    "User",
    "Visibility",
    "state_write",
    "utcnow",
]
