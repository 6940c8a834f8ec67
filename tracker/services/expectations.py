"""What is expected of whom, and by when: the next step of a case, told to each reader in a sentence."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from tracker.deadlines import is_overdue
from tracker.deadlines import open_deadlines
from tracker.models import STAFF_ROLES
from tracker.models import Case
from tracker.models import Deadline
from tracker.models import DeadlineStatus
from tracker.models import Role
from tracker.models import User
from tracker.services.conversation import reopen_requested

APPLICANT = "applicant"
OFFICER = "officer"
ENTERPRISE = "enterprise"
EXPERT_PANEL = "expert_panel"
#: The applicant or the enterprise, whichever wants to act (an objection to a report).
PARTIES = "parties"
NOBODY = "nobody"
#: The reader's side when it is the office: officers and administrators.
STAFF = "staff"

#: How the "by when" reads: a date, a clock standing still, a date the calendar cannot give yet, or no clock.
DUE = "due"
PAUSED = "paused"
PENDING = "pending"
NO_DEADLINE = "none"

#: state -> (who acts next, the clock that measures their step or None); a test keeps it in step with the tables.
NEXT_STEPS: dict[str, tuple[str, str | None]] = {
    "submitted": (OFFICER, "acceptance"),
    "under_review": (OFFICER, "acceptance"),
    "awaiting_information": (APPLICANT, "acceptance"),
    "refused": (NOBODY, None),
    "withdrawn": (NOBODY, None),
    "enterprise_response": (ENTERPRISE, "enterprise_response"),
    "settlement_proposed": (APPLICANT, None),
    "mediation": (OFFICER, "mediation"),
    "expert_review": (EXPERT_PANEL, "mediation"),
    "settled": (OFFICER, None),
    "mediation_ended": (OFFICER, "mediation_notice"),
    "accepted": (OFFICER, None),
    "decision_pending": (OFFICER, None),
    "decided": (OFFICER, None),
    "commission_pending": (OFFICER, None),
    "sampling": (OFFICER, "report"),
    "inspection": (OFFICER, "report"),
    "panel_forming": (OFFICER, "report"),
    "investigation": (EXPERT_PANEL, "report"),
    "deliberation": (EXPERT_PANEL, "report"),
    "objection_window": (PARTIES, "objection"),
    "re_inspection": (OFFICER, None),
    "re_appraisal": (EXPERT_PANEL, None),
    "final": (OFFICER, None),
    "closed": (NOBODY, None),
    "reopened": (OFFICER, None),
    "merged": (NOBODY, None),
}

#: A closed case whose applicant asked to reopen it waits for the officer's decision.
REOPEN_REQUESTED = "closed_reopen_requested"

PARTY_LABELS = {
    APPLICANT: _l("Applicant"),
    OFFICER: _l("Case officer"),
    ENTERPRISE: _l("Enterprise"),
    EXPERT_PANEL: _l("Expert panel"),
    PARTIES: _l("Applicant or enterprise"),
    NOBODY: _l("No one"),
}

#: What the applicant (and whoever tracks the case with its access code) reads, state by state.
APPLICANT_SENTENCES = {
    "submitted": _l("We have received your case. The case officer will decide whether to accept it."),
    "under_review": _l("The case officer is checking your case and will decide whether to accept it."),
    "awaiting_information": _l("Send the information the officer asked for."),
    "refused": _l("Your case was not accepted. The ground for refusal is shown on the case."),
    "withdrawn": _l("You withdrew this case. Nothing more will happen on it."),
    "enterprise_response": _l("The enterprise must answer your complaint."),
    "settlement_proposed": _l("Accept or refuse the enterprise's proposal."),
    "mediation": _l("The case officer is mediating between you and the enterprise."),
    "expert_review": _l("Experts are reviewing the case."),
    "settled": _l("The settlement was agreed. The case officer will close the case."),
    "mediation_ended": _l(
        "Mediation ended without agreement. You may still ask for an arbitration inspection or an appraisal."
    ),
    "accepted": _l("Your appeal was accepted. It will be reviewed by experts who did not make the original decision."),
    "decision_pending": _l("The experts have finished. The case officer will record the decision."),
    "decided": _l("The decision has been recorded. The case officer will close the case."),
    "commission_pending": _l(
        "Your request was accepted. The case officer is agreeing the commission: what is examined, by when, "
        "and who pays."
    ),
    "sampling": _l("Samples of the product are being taken and sealed."),
    "inspection": _l("The laboratory is inspecting the sealed samples."),
    "panel_forming": _l("The case officer is forming the expert panel."),
    "investigation": _l("The expert panel is investigating."),
    "deliberation": _l("The expert panel is deliberating."),
    "objection_window": _l("The report has been issued. If you disagree with it, object before the period ends."),
    "re_inspection": _l("The product is being inspected again after an objection."),
    "re_appraisal": _l("The expert panel is appraising the product again after an objection."),
    "final": _l("The report is final. The case officer will close the case."),
    "closed": _l("The case is closed."),
    REOPEN_REQUESTED: _l("You asked to reopen the case. The case officer will decide."),
    "reopened": _l("The case has been reopened. The case officer will resume the procedure."),
    "merged": _l("This case repeats another of your cases. It was closed, and everything in it is handled there."),
}

#: What the enterprise reads where the sentence differs from "waiting for …".
ENTERPRISE_SENTENCES = {
    "enterprise_response": _l("Answer the complaint: propose a settlement or dispute it."),
    "settlement_proposed": _l("The consumer is considering your proposal."),
    "mediation": _l("The case officer is mediating. You can still propose a settlement."),
    "objection_window": _l("The report has been issued. If you disagree with it, object before the period ends."),
}

#: What officers and administrators read where it is their turn.
STAFF_SENTENCES = {
    "submitted": _l("Start the acceptance review."),
    "under_review": _l("Accept or refuse the case, or ask the applicant for information."),
    "mediation": _l("Mediate: record an agreement, ask for an expert opinion, or end mediation."),
    "settled": _l("Close the case."),
    "mediation_ended": _l("Both parties were told that mediation ended. Close the case."),
    "accepted": _l("Start the review by a fresh panel."),
    "decision_pending": _l("Record the decision."),
    "decided": _l("Close the case."),
    "commission_pending": _l("Record the agreed commission."),
    "sampling": _l("Record the sealed samples."),
    "inspection": _l("Issue the inspection report by the agreed date."),
    "panel_forming": _l("Confirm the panel and start the investigation."),
    "re_inspection": _l("Issue the re-inspection report."),
    "final": _l("Close the case."),
    REOPEN_REQUESTED: _l("The applicant asked to reopen the case: decide whether to reopen it."),
    "reopened": _l("Resume the procedure."),
}

#: What experts read where it is the panel's turn.
EXPERT_SENTENCES = {
    "expert_review": _l("Review the evidence and give your opinion."),
    "investigation": _l("Investigate the product with the panel."),
    "deliberation": _l("Deliberate with the panel and agree the report."),
    "re_appraisal": _l("Appraise the product again in the light of the objection."),
}

SENTENCES_BY_SIDE = {
    APPLICANT: APPLICANT_SENTENCES,
    ENTERPRISE: ENTERPRISE_SENTENCES,
    STAFF: STAFF_SENTENCES,
    EXPERT_PANEL: EXPERT_SENTENCES,
}

#: The sentence anyone reads when their side has none of its own for the state: whose turn it is.
WAITING_SENTENCES = {
    APPLICANT: _l("Waiting for the applicant."),
    OFFICER: _l("Waiting for the case officer."),
    ENTERPRISE: _l("Waiting for the enterprise's answer."),
    EXPERT_PANEL: _l("Waiting for the expert panel."),
    PARTIES: _l("The parties may object to the report until the period ends."),
    NOBODY: _l("Nothing more is expected on this case."),
}


@dataclass(frozen=True)
class Expectation:
    """Who must act next on a case, by when, and the sentence that tells the reader."""

    #: applicant, officer, enterprise, expert_panel, parties or nobody.
    party: str
    party_label: object
    sentence: object
    #: due, paused, pending or none (see the constants above).
    timing: str
    due_on: date | None
    #: The clock that measures the step, if any.
    deadline: Deadline | None
    overdue: bool
    #: True when the reader is the one expected to act.
    reader_acts: bool


def reader_side(case: Case, reader: User | None) -> str:
    """The side a reader is on: a visitor with the access code reads as the applicant does."""
    if reader is None or not getattr(reader, "is_authenticated", False):
        return APPLICANT
    if reader.role in STAFF_ROLES:
        return STAFF
    if reader.role == Role.ENTERPRISE:
        return ENTERPRISE
    if reader.role == Role.EXPERT:
        return EXPERT_PANEL
    return APPLICANT


def _step_key(case: Case) -> str:
    """The case's state, or the pseudo-state of a closed case waiting for a decision on reopening."""
    if case.state == "closed" and reopen_requested(case):
        return REOPEN_REQUESTED
    return case.state


def _measuring_deadline(case: Case, clock: str | None) -> Deadline | None:
    """The newest open deadline of the clock that measures the next step."""
    if clock is None:
        return None
    candidates = open_deadlines(case, clock)
    return max(candidates, key=lambda deadline: deadline.id or 0) if candidates else None


def _timing(deadline: Deadline | None) -> str:
    """How the due date reads: paused clocks and unpublished calendars have none yet."""
    if deadline is None:
        return NO_DEADLINE
    if deadline.status == DeadlineStatus.PAUSED:
        return PAUSED
    if deadline.calendar_pending or deadline.due_on is None:
        return PENDING
    return DUE


def _reader_acts(party: str, side: str) -> bool:
    """Whether the party expected to act includes the reader's side."""
    if party == PARTIES:
        return side in (APPLICANT, ENTERPRISE)
    if party == OFFICER:
        return side == STAFF
    return party == side


def expectation_for(case: Case, reader: User | None, *, today: date | None = None) -> Expectation:
    """From the case's state and open deadlines: who acts next, by when, and what the reader is told."""
    return expectation_for_side(case, reader_side(case, reader), today=today)


def expectation_for_side(case: Case, side: str, *, today: date | None = None) -> Expectation:
    """The expectation as one side reads it, for readers without an account (an enterprise's contact address)."""
    step = _step_key(case)
    party, clock = NEXT_STEPS.get(case.state, (NOBODY, None))
    if step == REOPEN_REQUESTED:
        party = OFFICER
    deadline = _measuring_deadline(case, clock)
    sentence = SENTENCES_BY_SIDE[side].get(step) or WAITING_SENTENCES[party]
    timing = _timing(deadline)
    return Expectation(
        party=party,
        party_label=PARTY_LABELS[party],
        sentence=sentence,
        timing=timing,
        due_on=deadline.due_on if timing == DUE else None,
        deadline=deadline,
        overdue=deadline is not None and is_overdue(deadline, today=today),
        reader_acts=_reader_acts(party, side),
    )
