"""The procedures of the four kinds of case: tables, guards, and the only writer of a case's state."""

from tracker.workflow.engine import MACHINES, Action, allowed_actions, fire, initialise
from tracker.workflow.errors import (
    GuardFailed,
    InvalidTransition,
    StaleCase,
    TransitionNotAllowed,
    UnknownTrigger,
    WorkflowError,
)
from tracker.workflow.tables import INITIAL_STATE, KIND_LABELS, STATE_LABELS, TABLES, TERMINAL_STATES, Row, states_of

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
    "StaleCase",
    "TransitionNotAllowed",
    "UnknownTrigger",
    "WorkflowError",
    "allowed_actions",
    "fire",
    "initialise",
    "states_of",
]
