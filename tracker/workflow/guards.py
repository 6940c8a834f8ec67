"""Guards: pure predicates over (case, actor, data, now) that a transition row names."""

import json
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from tracker.models import Case
from tracker.models import ReportRound
from tracker.models import Role
from tracker.models import User
from tracker.panel_rules import current_conclusion
from tracker.panel_rules import opinions_complete
from tracker.panel_rules import panel_complies
from tracker.working_days import local_date

#: Refusal grounds of the complaint rules, art. 15 (DESIGN §3).
REFUSAL_CODES = {
    "outside_remit": _l("Outside our remit or jurisdiction"),
    "handled_elsewhere": _l("Already handled by a court, arbitration body, other agency or consumer association"),
    "not_daily_consumption": _l("Not consumption for daily life"),
    "time_barred": _l("More than 3 years since the harm was known"),
    "materials_missing": _l("Required materials missing"),
    "other_legal_grounds": _l("Other legal grounds"),
}

#: Why a mediation ended without agreement (complaint rules, art. 21); the sweep uses "time_limit".
TERMINATION_GROUNDS = {
    "time_limit": _l("The time limit for mediation ran out"),
    "party_refused": _l("A party refused to continue mediation"),
    "party_absent": _l("A party did not attend without good reason"),
    "no_agreement": _l("The parties could not agree"),
    "proceedings_elsewhere": _l("A party started proceedings with a court or arbitration body"),
    "other": _l("Other grounds"),
}

#: Outcome codes of an enterprise's response or a mediated agreement (DESIGN §4).
SETTLEMENT_OUTCOMES = {
    "explanation": _l("Explanation"),
    "repair": _l("Repair"),
    "replacement": _l("Replacement"),
    "refund": _l("Refund"),
    "compensation": _l("Compensation"),
}

#: Decisions on a quality appeal.
APPEAL_DECISIONS = {
    "upheld": _l("Upheld"),
    "overturned": _l("Overturned"),
    "varied": _l("Varied"),
}


@dataclass(frozen=True)
class GuardContext:
    """Everything a guard may look at; guards never query the database or read the request."""

    case: Case
    #: None when the scheduled sweep acts (engine.fire_as_system); such rows name no guard about the actor.
    actor: User | None
    data: Mapping[str, Any] = field(default_factory=dict)
    now: datetime | None = None

    @property
    def today(self) -> date:
        """The day the action happens, in China."""
        return local_date(self.now)


@dataclass(frozen=True)
class Guard:
    """A named predicate with the message shown when it fails."""

    name: str
    check: Callable[[GuardContext], bool]
    message: Any


def _text_given(ctx: GuardContext, key: str) -> bool:
    value = ctx.data.get(key)
    return isinstance(value, str) and value.strip() != ""


def actor_is_applicant(ctx: GuardContext) -> bool:
    """Only the person who filed the case acts for the applicant."""
    return ctx.case.applicant_id is not None and ctx.case.applicant_id == ctx.actor.id


def actor_is_case_enterprise(ctx: GuardContext) -> bool:
    """Only users of the enterprise the case names answer it."""
    return (
        ctx.actor.role == Role.ENTERPRISE
        and ctx.case.enterprise_id is not None
        and ctx.actor.enterprise_id == ctx.case.enterprise_id
    )


def actor_is_party(ctx: GuardContext) -> bool:
    """The applicant or the enterprise."""
    return actor_is_applicant(ctx) or actor_is_case_enterprise(ctx)


def actor_on_panel(ctx: GuardContext) -> bool:
    """Only an appointed expert who has not recused gives an opinion."""
    return any(member.expert_id == ctx.actor.id for member in ctx.case.active_panel)


def enterprise_confirmed(ctx: GuardContext) -> bool:
    """A complaint is routed only to an enterprise an officer has confirmed."""
    return ctx.case.enterprise is not None and ctx.case.enterprise.confirmed


def reason_given(ctx: GuardContext) -> bool:
    """Requests, objections and endings need a stated reason."""
    return _text_given(ctx, "reason")


def refusal_code_valid(ctx: GuardContext) -> bool:
    """A refusal names one of the statutory grounds."""
    return ctx.data.get("refusal_code") in REFUSAL_CODES


def explanation_given(ctx: GuardContext) -> bool:
    """A refusal is explained to the applicant in words, not only by its code."""
    return _text_given(ctx, "explanation")


def missing_items_given(ctx: GuardContext) -> bool:
    """A request for information lists what is missing."""
    return _text_given(ctx, "missing_items")


def _future_date(ctx: GuardContext, key: str, *, today_allowed: bool = False) -> bool:
    value = ctx.data.get(key)
    if not isinstance(value, date) or isinstance(value, datetime):
        return False
    return value >= ctx.today if today_allowed else value > ctx.today


def reply_date_valid(ctx: GuardContext) -> bool:
    """The applicant is given a day in the future to reply by."""
    return _future_date(ctx, "reply_by")


def original_chosen(ctx: GuardContext) -> bool:
    """A duplicate is merged only into another case, chosen before the action (services.triage)."""
    original = ctx.case.merged_into
    return original is not None and original is not ctx.case


def termination_ground_valid(ctx: GuardContext) -> bool:
    """Ending a mediation names its ground."""
    return ctx.data.get("termination_ground") in TERMINATION_GROUNDS


def agreement_terms_given(ctx: GuardContext) -> bool:
    """An agreement says what was agreed and by when it must be carried out (today or later)."""
    return _text_given(ctx, "terms") and _future_date(ctx, "perform_by", today_allowed=True)


def settlement_outcome_valid(ctx: GuardContext) -> bool:
    """A settlement says what the consumer gets."""
    return ctx.data.get("outcome") in SETTLEMENT_OUTCOMES


def appeal_decision_valid(ctx: GuardContext) -> bool:
    """An appeal is upheld, overturned or varied."""
    return ctx.data.get("decision") in APPEAL_DECISIONS


def panel_has_expert(ctx: GuardContext) -> bool:
    """Expert review of a complaint needs the panel its rule set asks for (one expert or more) and a chair."""
    return panel_complies(ctx.case)


def panel_is_valid(ctx: GuardContext) -> bool:
    """An appeal or appraisal panel has the size its rule set asks for (odd, at least three) and a chair."""
    return panel_complies(ctx.case)


def panel_opinions_complete(ctx: GuardContext) -> bool:
    """The panel deliberates only once every member has given an opinion."""
    return opinions_complete(ctx.case)


def panel_concluded(ctx: GuardContext) -> bool:
    """The chair has compiled the panel's conclusion for the current round."""
    return current_conclusion(ctx.case) is not None


def actor_is_chair(ctx: GuardContext) -> bool:
    """Only the panel's chair speaks for the panel."""
    return any(member.expert_id == ctx.actor.id and member.is_chair for member in ctx.case.active_panel)


def within_reopen_window(ctx: GuardContext) -> bool:
    """A closed case reopens only within the rule set's window."""
    closed_at = ctx.case.closed_at
    if closed_at is None:
        return False
    return ctx.now <= closed_at + timedelta(days=ctx.case.rule_set.reopen_window_days)


def current_round(case: Case) -> ReportRound | None:
    """The newest inspection or appraisal round of the case, if work has started."""
    rounds = case.report_rounds
    return rounds[-1] if rounds else None


def earlier_round_expert_ids(case: Case) -> set[int]:
    """Experts who signed the report of a round before the current one: a later panel may not include them."""
    ids: set[int] = set()
    for report_round in case.report_rounds[:-1]:
        ids.update(json.loads(report_round.panel_expert_ids or "[]"))
    return ids


def commission_confirmed_by_both(ctx: GuardContext) -> bool:
    """No work starts before the applicant and the enterprise have both confirmed the commission."""
    commission = ctx.case.commission
    return commission is not None and commission.confirmed_by_both


def commission_report_date_ahead(ctx: GuardContext) -> bool:
    """The report date the commission agreed has not already passed when the work starts."""
    commission = ctx.case.commission
    return commission is not None and commission.report_due_on > ctx.today


def inspection_body_assigned(ctx: GuardContext) -> bool:
    """An arbitration inspection is carried out by an inspection body named for the round."""
    report_round = current_round(ctx.case)
    return report_round is not None and report_round.inspection_body_id is not None


def sampling_recorded(ctx: GuardContext) -> bool:
    """Testing starts only on samples whose sampling and sealing are on record."""
    return len(ctx.case.sampling_records) > 0


def report_file_uploaded(ctx: GuardContext) -> bool:
    """A report is issued as a file the parties can read."""
    report_round = current_round(ctx.case)
    return report_round is not None and report_round.report_evidence_id is not None


def round_body_is_new(ctx: GuardContext) -> bool:
    """A second inspection is done by a different body from every earlier round's."""
    report_round = current_round(ctx.case)
    if report_round is None or report_round.inspection_body_id is None:
        return False
    earlier = {r.inspection_body_id for r in ctx.case.report_rounds if r is not report_round}
    return report_round.inspection_body_id not in earlier


def panel_excludes_earlier_rounds(ctx: GuardContext) -> bool:
    """A re-appraisal panel has no member of an earlier round's panel."""
    earlier = earlier_round_expert_ids(ctx.case)
    return not any(member.expert_id in earlier for member in ctx.case.active_panel)


def _objection_window_end(ctx: GuardContext) -> date | None:
    report_round = current_round(ctx.case)
    served = report_round.served_on if report_round is not None else None
    served = served or ctx.case.report_issued_on
    if served is None:
        return None
    return served + timedelta(days=ctx.case.rule_set.objection_days)


def within_objection_window(ctx: GuardContext) -> bool:
    """Objections are heard only within the window after the report reached the parties."""
    end = _objection_window_end(ctx)
    return end is not None and ctx.today <= end


def objection_window_elapsed(ctx: GuardContext) -> bool:
    """A report becomes final only once nobody can object any more."""
    end = _objection_window_end(ctx)
    return end is not None and ctx.today > end


GUARDS: dict[str, Guard] = {
    guard.name: guard
    for guard in [
        Guard("actor_is_applicant", actor_is_applicant, _l("Only the applicant can do this.")),
        Guard("actor_is_case_enterprise", actor_is_case_enterprise, _l("Only the enterprise named in the case can do this.")),
        Guard("actor_is_party", actor_is_party, _l("Only a party to the case can do this.")),
        Guard("actor_on_panel", actor_on_panel, _l("Only an expert on this case's panel can do this.")),
        Guard("enterprise_confirmed", enterprise_confirmed, _l("Confirm the enterprise before routing the case to it.")),
        Guard("reason_given", reason_given, _l("Please give a reason.")),
        Guard("refusal_code_valid", refusal_code_valid, _l("Choose one of the listed grounds for refusal.")),
        Guard("explanation_given", explanation_given, _l("Explain the refusal to the applicant.")),
        Guard("missing_items_given", missing_items_given, _l("List what the applicant must send.")),
        Guard("reply_date_valid", reply_date_valid, _l("Give a date in the future to reply by.")),
        Guard("original_chosen", original_chosen, _l("Choose the original case this one duplicates.")),
        Guard("termination_ground_valid", termination_ground_valid, _l("Choose the ground for ending mediation.")),
        Guard("agreement_terms_given", agreement_terms_given,
              _l("Write the agreed terms and the date by which they must be carried out (today or later).")),
        Guard("settlement_outcome_valid", settlement_outcome_valid, _l("Choose what the settlement gives the consumer.")),
        Guard("appeal_decision_valid", appeal_decision_valid, _l("Choose upheld, overturned or varied.")),
        Guard("panel_has_expert", panel_has_expert, _l("Appoint at least one expert and name the chair first.")),
        Guard("panel_is_valid", panel_is_valid, _l("The panel needs an odd number of at least three experts, one of them its chair.")),
        Guard("panel_opinions_complete", panel_opinions_complete, _l("Every member of the panel must give an opinion first.")),
        Guard("panel_concluded", panel_concluded, _l("The panel's chair must record the panel's conclusion first.")),
        Guard("actor_is_chair", actor_is_chair, _l("Only the panel's chair can do this.")),
        Guard("commission_confirmed_by_both", commission_confirmed_by_both,
              _l("Both parties must confirm the commission before the work starts.")),
        Guard("commission_report_date_ahead", commission_report_date_ahead,
              _l("The report date in the commission has passed; correct the commission first.")),
        Guard("inspection_body_assigned", inspection_body_assigned, _l("Assign an inspection body first.")),
        Guard("sampling_recorded", sampling_recorded, _l("Record the sampling first.")),
        Guard("report_file_uploaded", report_file_uploaded, _l("Upload the report file first.")),
        Guard("round_body_is_new", round_body_is_new,
              _l("The second inspection needs an inspection body that did not carry out an earlier round.")),
        Guard("panel_excludes_earlier_rounds", panel_excludes_earlier_rounds,
              _l("The new panel may not include an expert of an earlier round.")),
        Guard("within_reopen_window", within_reopen_window, _l("The period for reopening this case has passed.")),
        Guard("within_objection_window", within_objection_window, _l("The period for objecting to the report has passed.")),
        Guard("objection_window_elapsed", objection_window_elapsed, _l("The objection period is still open.")),
    ]
}
