"""What makes a panel sound, read from the case's rule set: size, odd number, a chair; opinions in; a conclusion."""

from dataclasses import dataclass

from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import PanelConclusion


@dataclass(frozen=True)
class PanelRuleSpec:
    """One kind's panel rule as the guards and services use it."""

    min_size: int
    odd_size: bool
    excludes_appealed_panel: bool

    def admits(self, size: int) -> bool:
        """Whether a panel of this many members may sit."""
        return size >= self.min_size and (not self.odd_size or size % 2 == 1)


#: DESIGN §3, used only for a rule set an administrator created without panel rows (the migration seeds them).
DEFAULT_PANEL_RULES = {
    CaseKind.COMPLAINT: PanelRuleSpec(1, False, False),
    CaseKind.QUALITY_APPEAL: PanelRuleSpec(3, True, True),
    CaseKind.ARBITRATION: PanelRuleSpec(1, False, False),
    CaseKind.APPRAISAL: PanelRuleSpec(3, True, False),
}


def panel_rule_for(case: Case) -> PanelRuleSpec:
    """The panel rule of the case's kind in the rule set the case was filed under."""
    for rule in case.rule_set.panel_rules:
        if rule.kind == case.kind:
            return PanelRuleSpec(rule.min_size, rule.odd_size, rule.excludes_appealed_panel)
    return DEFAULT_PANEL_RULES[CaseKind(case.kind)]


def panel_complies(case: Case) -> bool:
    """The current panel has a size the rule admits and exactly one chair among its members."""
    members = case.active_panel
    return panel_rule_for(case).admits(len(members)) and sum(member.is_chair for member in members) == 1


def opinions_complete(case: Case) -> bool:
    """Every member of the current panel has given an opinion."""
    members = case.active_panel
    return bool(members) and all(member.opinion is not None for member in members)


def current_conclusion(case: Case) -> PanelConclusion | None:
    """The chair's conclusion for the current round, if it has been recorded."""
    return next(
        (found for found in case.panel_conclusions if found.round_number == case.panel_round), None
    )
