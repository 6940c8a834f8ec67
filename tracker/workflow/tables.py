"""The four procedures as data: one table per kind, read top to bottom (DESIGN §2).

Every row says which trigger moves a case from which states to which state, who may fire it,
which guards must hold, what it does to the case's fields and which clocks it starts, pauses,
resumes or stops. Buttons, permission checks, the README diagrams and the tests read these tables.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from tracker.deadlines import ALL_CLOCKS  # noqa: F401 - CLOCKS re-exported for the tables' readers
from tracker.deadlines import CLOCKS  # noqa: F401 - CLOCKS re-exported for the tables' readers
from tracker.models import CaseKind
from tracker.models import Role
from tracker.models import Visibility

O = Role.OFFICER
C = Role.CONSUMER
E = Role.ENTERPRISE
X = Role.EXPERT

INITIAL_STATE = "submitted"


@dataclass(frozen=True)
class Row:
    """One transition of a procedure."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: tuple[Role, ...]
    label: object
    guards: tuple[str, ...] = ()
    #: Named field changes applied after the state changes (see workflow.effects).
    effects: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    pause: tuple[str, ...] = ()
    resume: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    visibility: Visibility = Visibility.PARTIES
    #: Shown on the button as a warning colour: the action cannot be undone.
    destructive: bool = False
    #: The scheduled sweep may take this action itself when a limit runs out (engine.fire_as_system).
    system: bool = False


STATE_LABELS = {
    "submitted": _l("Submitted"),
    "under_review": _l("Acceptance review"),
    "awaiting_information": _l("Awaiting information from the applicant"),
    "refused": _l("Refused"),
    "withdrawn": _l("Withdrawn"),
    "enterprise_response": _l("Awaiting the enterprise's response"),
    "settlement_proposed": _l("Settlement proposed"),
    "mediation": _l("Mediation"),
    "expert_review": _l("Expert review"),
    "settled": _l("Settled"),
    "mediation_ended": _l("Mediation ended without agreement"),
    "accepted": _l("Accepted"),
    "decision_pending": _l("Awaiting decision"),
    "decided": _l("Decided"),
    "commission_pending": _l("Agreeing the commission"),
    "sampling": _l("Sampling"),
    "inspection": _l("Inspection"),
    "panel_forming": _l("Forming the expert panel"),
    "investigation": _l("Investigation"),
    "deliberation": _l("Deliberation"),
    "objection_window": _l("Report issued: objection period"),
    "re_inspection": _l("Re-inspection"),
    "re_appraisal": _l("Re-appraisal"),
    "final": _l("Report final"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
    "merged": _l("Closed as a duplicate"),
}

KIND_LABELS = {
    CaseKind.COMPLAINT: _l("Complaint"),
    CaseKind.QUALITY_APPEAL: _l("Quality appeal"),
    CaseKind.ARBITRATION: _l("Arbitration inspection"),
    CaseKind.APPRAISAL: _l("Quality appraisal"),
}

#: States from which nothing leaves.
TERMINAL_STATES = frozenset({"refused", "withdrawn", "merged"})


def _intake(withdrawable: tuple[str, ...]) -> list[Row]:
    """The acceptance review every kind shares: review, ask for information, refuse, merge a duplicate, withdraw."""
    return [
        Row("start_review", ("submitted",), "under_review", (O,), _l("Start acceptance review"),
            effects=("assign_officer",)),
        Row("request_information", ("under_review",), "awaiting_information", (O,),
            _l("Ask the applicant for information"), guards=("missing_items_given", "reply_date_valid"),
            effects=("record_information_request",), pause=("acceptance",)),
        Row("supplement", ("awaiting_information",), "under_review", (C,), _l("Send the requested information"),
            guards=("actor_is_applicant",), resume=("acceptance",)),
        Row("refuse", ("submitted", "under_review", "awaiting_information"), "refused", (O,),
            _l("Refuse the case"), guards=("refusal_code_valid", "explanation_given"), effects=("record_refusal",),
            stop=(ALL_CLOCKS,), destructive=True),
        Row("merge", ("submitted", "under_review", "awaiting_information"), "merged", (O,),
            _l("Close as a duplicate of the original case"), guards=("original_chosen",), stop=(ALL_CLOCKS,),
            destructive=True),
        Row("withdraw", withdrawable, "withdrawn", (C,), _l("Withdraw the case"),
            guards=("actor_is_applicant",), effects=("resume_linked_complaint",), stop=(ALL_CLOCKS,),
            destructive=True),
    ]


def _closure(closable: tuple[str, ...], resume_to: str, resume_guards: tuple[str, ...] = ()) -> list[Row]:
    """Closing, and reopening within the window, which every kind shares."""
    return [
        Row("close", (*closable, "reopened"), "closed", (O,), _l("Close the case"),
            effects=("mark_closed",), stop=(ALL_CLOCKS,)),
        Row("reopen", ("closed",), "reopened", (O,), _l("Reopen the case"),
            guards=("within_reopen_window", "reason_given"), effects=("mark_reopened",)),
        Row("resume", ("reopened",), resume_to, (O,), _l("Resume the procedure"), guards=resume_guards),
    ]


COMPLAINT = [
    *_intake(("submitted", "under_review", "awaiting_information", "enterprise_response",
              "settlement_proposed", "mediation", "expert_review")),
    Row("accept", ("under_review",), "enterprise_response", (O,), _l("Accept and send to the enterprise"),
        guards=("enterprise_confirmed",), effects=("mark_accepted",), stop=("acceptance",), start=("enterprise_response", "mediation")),
    Row("propose_settlement", ("enterprise_response", "mediation"), "settlement_proposed", (E,),
        _l("Propose a settlement"), guards=("actor_is_case_enterprise", "settlement_outcome_valid"),
        effects=("record_outcome",), stop=("enterprise_response",)),
    Row("dispute", ("enterprise_response",), "mediation", (E,), _l("Dispute the complaint"),
        guards=("actor_is_case_enterprise", "reason_given"), stop=("enterprise_response",)),
    Row("respond", ("enterprise_response",), "mediation", (E,), _l("Answer without proposing a settlement"),
        guards=("actor_is_case_enterprise", "reason_given"), stop=("enterprise_response",)),
    Row("start_mediation", ("enterprise_response",), "mediation", (O,), _l("Start mediation"),
        stop=("enterprise_response",)),
    Row("accept_settlement", ("settlement_proposed",), "settled", (C,), _l("Accept the settlement"),
        guards=("actor_is_applicant",), stop=("mediation",)),
    Row("reject_settlement", ("settlement_proposed",), "mediation", (C,), _l("Refuse the settlement"),
        guards=("actor_is_applicant", "reason_given"), effects=("clear_outcome",)),
    Row("request_expert_review", ("mediation",), "expert_review", (O,), _l("Ask for an expert opinion"),
        guards=("panel_has_expert",), pause=("mediation",)),
    Row("submit_opinion", ("expert_review",), "mediation", (X,), _l("Send the panel's opinion to the case officer"),
        guards=("actor_on_panel", "actor_is_chair", "panel_concluded"), resume=("mediation",)),
    Row("record_agreement", ("mediation",), "settled", (O,), _l("Record the mediated agreement"),
        guards=("settlement_outcome_valid", "agreement_terms_given"), effects=("record_outcome", "record_agreement"),
        stop=("mediation",)),
    Row("end_mediation", ("mediation",), "mediation_ended", (O,), _l("End mediation without agreement"),
        guards=("termination_ground_valid",), effects=("record_mediation_ending",), stop=("mediation",),
        start=("mediation_notice",), system=True),
    *_closure(("settled", "mediation_ended"), "mediation"),
]

QUALITY_APPEAL = [
    *_intake(("submitted", "under_review", "awaiting_information", "accepted", "expert_review")),
    Row("accept", ("under_review",), "accepted", (O,), _l("Accept the appeal"),
        effects=("mark_accepted",), stop=("acceptance",)),
    Row("start_expert_review", ("accepted",), "expert_review", (O,), _l("Start review by a fresh panel"),
        guards=("panel_is_valid",)),
    Row("complete_review", ("expert_review",), "decision_pending", (O,), _l("Conclude the panel's review"),
        guards=("panel_concluded",)),
    Row("decide", ("decision_pending",), "decided", (O,), _l("Record the decision"),
        guards=("appeal_decision_valid", "panel_concluded"), effects=("record_decision",)),
    *_closure(("decided",), "expert_review", ("panel_is_valid",)),
]

ARBITRATION = [
    *_intake(("submitted", "under_review", "awaiting_information", "commission_pending")),
    Row("accept", ("under_review",), "commission_pending", (O,), _l("Accept the request"),
        effects=("mark_accepted",), stop=("acceptance",)),
    Row("agree_commission", ("commission_pending",), "sampling", (O,), _l("Start the work: the commission is agreed"),
        guards=("commission_confirmed_by_both", "commission_report_date_ahead"),
        effects=("open_first_round", "pause_linked_complaint"), start=("report",)),
    Row("record_sampling", ("sampling",), "inspection", (O,), _l("Record the sealed samples"),
        guards=("inspection_body_assigned", "sampling_recorded")),
    Row("issue_report", ("inspection",), "objection_window", (O,), _l("Issue the inspection report"),
        guards=("report_file_uploaded",), effects=("record_report_issued",), stop=("report",),
        start=("objection",)),
    Row("raise_objection", ("objection_window",), "re_inspection", (C, E), _l("Object to the report"),
        guards=("actor_is_party", "within_objection_window", "reason_given"), effects=("open_second_round",),
        stop=("objection",)),
    Row("finalize", ("objection_window",), "final", (O,), _l("Make the report final"),
        guards=("objection_window_elapsed",), effects=("mark_report_final", "resume_linked_complaint"),
        stop=("objection",), system=True),
    Row("issue_final_report", ("re_inspection",), "final", (O,), _l("Issue the re-inspection report"),
        guards=("round_body_is_new", "report_file_uploaded"),
        effects=("record_report_issued", "mark_report_final", "resume_linked_complaint")),
    *_closure(("final",), "re_inspection"),
]

APPRAISAL = [
    *_intake(("submitted", "under_review", "awaiting_information", "commission_pending", "panel_forming")),
    Row("accept", ("under_review",), "commission_pending", (O,), _l("Accept the request"),
        effects=("mark_accepted",), stop=("acceptance",)),
    Row("agree_commission", ("commission_pending",), "panel_forming", (O,), _l("Start the work: the commission is agreed"),
        guards=("commission_confirmed_by_both", "commission_report_date_ahead"),
        effects=("open_first_round", "pause_linked_complaint"), start=("report",)),
    Row("form_panel", ("panel_forming",), "investigation", (O,), _l("Confirm the panel and start the investigation"),
        guards=("panel_is_valid",)),
    Row("start_deliberation", ("investigation",), "deliberation", (O,), _l("Start the panel's deliberation"),
        guards=("panel_is_valid", "panel_opinions_complete")),
    Row("issue_report", ("deliberation",), "objection_window", (O,), _l("Issue the appraisal report"),
        guards=("panel_concluded", "report_file_uploaded"), effects=("record_report_issued",), stop=("report",),
        start=("objection",)),
    Row("raise_objection", ("objection_window",), "re_appraisal", (C, E), _l("Object to the report"),
        guards=("actor_is_party", "within_objection_window", "reason_given"), effects=("open_second_round",),
        stop=("objection",)),
    Row("finalize", ("objection_window",), "final", (O,), _l("Make the report final"),
        guards=("objection_window_elapsed",), effects=("mark_report_final", "resume_linked_complaint"),
        stop=("objection",), system=True),
    Row("issue_final_report", ("re_appraisal",), "final", (O,), _l("Issue the re-appraisal report"),
        guards=("panel_is_valid", "panel_excludes_earlier_rounds", "panel_concluded", "report_file_uploaded"),
        effects=("record_report_issued", "mark_report_final", "resume_linked_complaint")),
    *_closure(("final",), "re_appraisal", ("panel_is_valid",)),
]

TABLES: dict[CaseKind, list[Row]] = {
    CaseKind.COMPLAINT: COMPLAINT,
    CaseKind.QUALITY_APPEAL: QUALITY_APPEAL,
    CaseKind.ARBITRATION: ARBITRATION,
    CaseKind.APPRAISAL: APPRAISAL,
}


def states_of(kind: CaseKind) -> list[str]:
    """Every state a kind's table mentions, the initial state first."""
    seen = [INITIAL_STATE]
    for row in TABLES[kind]:
        for state in (*row.sources, row.dest):
            if state not in seen:
                seen.append(state)
    return seen
