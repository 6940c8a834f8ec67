"""The typed SQLAlchemy models; import them from here."""

from tracker.models.audit import AuditEvent
from tracker.models.audit import SecurityEvent
from tracker.models.audit import Visibility
from tracker.models.cases import CASE_NUMBER_PREFIX
from tracker.models.cases import Case
from tracker.models.cases import CaseKind
from tracker.models.cases import CaseNumberCounter
from tracker.models.cases import PanelMember
from tracker.models.cases import StateWriteRefused
from tracker.models.cases import state_write
from tracker.models.deadlines import Alert
from tracker.models.deadlines import CalendarDay
from tracker.models.deadlines import CalendarYear
from tracker.models.deadlines import Deadline
from tracker.models.deadlines import DeadlinePause
from tracker.models.deadlines import DeadlineStatus
from tracker.models.deadlines import NonWorkingDayReceipt
from tracker.models.deadlines import RuleSet
from tracker.models.experts import ConflictDeclaration
from tracker.models.experts import ExpertProfile
from tracker.models.experts import ExpertSpecialty
from tracker.models.experts import Opinion
from tracker.models.experts import PanelConclusion
from tracker.models.experts import PanelRule
from tracker.models.experts import RecusalRequest
from tracker.models.inspection import BASIS_KINDS
from tracker.models.inspection import CUSTODY_STEPS
from tracker.models.inspection import FEE_PAYERS
from tracker.models.inspection import Commission
from tracker.models.inspection import CustodyEntry
from tracker.models.inspection import InspectionBody
from tracker.models.inspection import ReportRound
from tracker.models.inspection import SamplingRecord
from tracker.models.invitations import CaseAnswer
from tracker.models.invitations import CaseAnswerFile
from tracker.models.invitations import Invitation
from tracker.models.mediation import MediationAgreement
from tracker.models.mediation import MediationEnding
from tracker.models.mediation import MediationSession
from tracker.models.outbox import OutboxMessage
from tracker.models.portal import Evidence
from tracker.models.portal import FilingDraft
from tracker.models.portal import Message
from tracker.models.portal import Rating
from tracker.models.portal import Representative
from tracker.models.portal import TaxonomyTerm
from tracker.models.portal import ThrottleEvent
from tracker.models.sessions import UserSession
from tracker.models.triage import CaseLink
from tracker.models.triage import InformationRequest
from tracker.models.triage import ReplyTemplate
from tracker.models.types import MAX_ROW_ID
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow
from tracker.models.users import STAFF_ROLES
from tracker.models.users import Enterprise
from tracker.models.users import Role
from tracker.models.users import User
from tracker.models.workspace import NO_DUE_DATE
from tracker.models.workspace import CaseQueueEntry
from tracker.models.workspace import CaseSearchTerm

__all__ = [
    "BASIS_KINDS",
    "CUSTODY_STEPS",
    "FEE_PAYERS",
    "Commission",
    "CustodyEntry",
    "InspectionBody",
    "ReportRound",
    "SamplingRecord",
    "CASE_NUMBER_PREFIX",
    "MAX_ROW_ID",
    "NO_DUE_DATE",
    "STAFF_ROLES",
    "Alert",
    "AuditEvent",
    "CalendarDay",
    "CalendarYear",
    "Case",
    "CaseQueueEntry",
    "CaseSearchTerm",
    "CaseLink",
    "InformationRequest",
    "MediationAgreement",
    "MediationEnding",
    "MediationSession",
    "ReplyTemplate",
    "CaseAnswer",
    "CaseAnswerFile",
    "CaseKind",
    "CaseNumberCounter",
    "ConflictDeclaration",
    "ExpertProfile",
    "ExpertSpecialty",
    "Opinion",
    "PanelConclusion",
    "PanelRule",
    "RecusalRequest",
    "Deadline",
    "DeadlinePause",
    "DeadlineStatus",
    "Enterprise",
    "Evidence",
    "FilingDraft",
    "Invitation",
    "Message",
    "NonWorkingDayReceipt",
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
    "UserSession",
    "Visibility",
    "state_write",
    "utcnow",
]
