"""The procedures of the four kinds of case: tables, guards, and the only writer of a case's state."""

from tracker.workflow.engine import MACHINES
from tracker.workflow.engine import Action
from tracker.workflow.engine import TransitionListener
from tracker.workflow.engine import allowed_actions
from tracker.workflow.engine import fire
from tracker.workflow.engine import fire_as_system
from tracker.workflow.engine import initialise
from tracker.workflow.engine import set_transition_listener
from tracker.workflow.errors import GuardFailed
from tracker.workflow.errors import InvalidTransition
from tracker.workflow.errors import StaleCase
from tracker.workflow.errors import TransitionNotAllowed
from tracker.workflow.errors import UnknownTrigger
from tracker.workflow.errors import WorkflowError
from tracker.workflow.tables import INITIAL_STATE
from tracker.workflow.tables import KIND_LABELS
from tracker.workflow.tables import STATE_LABELS
from tracker.workflow.tables import TABLES
from tracker.workflow.tables import TERMINAL_STATES
from tracker.workflow.tables import Row
from tracker.workflow.tables import states_of

__all__ = [
    "INITIAL_STATE",
    "KIND_LABELS",
    "MACHINES",
    "STATE_LABELS",
    "TABLES",
    "TERMINAL_STATES",
    "Action",
    "GuardFailed",
    "InvalidTransition",
    "Row",
    "TransitionListener",
    "StaleCase",
    "TransitionNotAllowed",
    "UnknownTrigger",
    "WorkflowError",
    "allowed_actions",
    "fire",
    "fire_as_system",
    "initialise",
    "set_transition_listener",
    "states_of",
]
