"""How panel facts read on a page: why an expert is excluded, why a member left, why a panel step was refused."""

from flask_babel import lazy_gettext as _l

#: services.panels.EXCLUSION_REASONS as the officer reads them.
EXCLUSION_LABELS = {
    "inactive": _l("Not active in the expert pool"),
    "specialty": _l("Not a specialist in this field"),
    "declared_conflict": _l("Declared a conflict of interest with this enterprise"),
    "same_organisation": _l("Works for the enterprise named in the case"),
    "appealed_decision": _l("Took part in the decision appealed"),
    "earlier_round": _l("Took part in an earlier round of this dispute"),
    "left_this_case": _l("Has already left this case's panel"),
    "on_panel": _l("Already on the panel"),
    "excluded": _l("Excluded for this round"),
}

#: PanelMember.departure.
DEPARTURE_LABELS = {
    "declined": _l("declined the appointment"),
    "conflict": _l("declared a conflict of interest"),
    "recused": _l("recused at a party's request"),
}

#: services.panels.PanelError codes -> (message, HTTP status).
PANEL_REFUSALS = {
    "not_officer": (_l("Only a case officer forms the panel."), 403),
    "state": (_l("The panel cannot be changed at this stage of the case."), 409),
    "none_chosen": (_l("Choose at least one expert."), 422),
    "not_expert": (_l("This expert is not in the pool."), 422),
    "not_eligible": (_l("%(name)s cannot sit on this panel: %(reasons)s."), 422),
    "size": (_l("The panel would not have the number of members the rules require (%(rule)s)."), 422),
    "chair_missing": (_l("Name the panel's chair."), 422),
    "chair_not_member": (_l("The chair must be one of the panel's members."), 422),
    "pool_too_small": (_l("There are not enough eligible experts for this draw."), 422),
    "draw_changed": (_l("The pool changed since the draw; draw again."), 409),
    "not_member": (_l("This expert is not on the panel."), 422),
    "concluded": (_l("The panel has already concluded."), 409),
    "empty": (_l("Please fill in every required field."), 422),
    "too_long": (_l("This text is too long."), 422),
    "opinion_given": (_l("An opinion has already been given."), 409),
    "already_declared": (_l("You have already declared a conflict with this enterprise."), 409),
    "not_party": (_l("Only a party to the case can ask for a recusal."), 403),
    "pending": (_l("A request to recuse this expert is already waiting for the officer's decision."), 409),
    "no_request": (_l("There is no such request."), 404),
    "decided": (_l("This request has already been decided."), 409),
    "not_chair": (_l("Only the panel's chair can do this."), 403),
    "opinions_missing": (_l("Every member of the panel must give an opinion first."), 409),
    "no_majority": (_l("A conclusion needs the agreement of a majority of the panel."), 422),
    "dissent_missing": (_l("Summarise the dissenting view."), 422),
    "not_appeal": (_l("Only a quality appeal challenges an earlier decision."), 422),
    "already_linked": (_l("This appeal is already linked to the decision it challenges."), 409),
    "no_such_case": (_l("There is no other case with this number."), 422),
}


def rule_summary(rule) -> str:
    """The panel rule in words, e.g. "an odd number, at least 3"."""
    if rule.odd_size:
        return str(_l("an odd number of experts, at least %(min)d", min=rule.min_size))
    return str(_l("at least %(min)d expert(s)", min=rule.min_size))


def exclusion_text(reasons) -> str:
    """The reasons an expert is excluded, in one line."""
    return "; ".join(str(EXCLUSION_LABELS.get(reason, reason)) for reason in reasons)
