"""The transition tables are well-formed: every state reachable, terminal states final, every name resolvable."""

from collections import deque

import pytest

from tracker.deadlines import ALL_CLOCKS
from tracker.deadlines import CLOCKS
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Role
from tracker.workflow import INITIAL_STATE
from tracker.workflow import MACHINES
from tracker.workflow import STATE_LABELS
from tracker.workflow import TABLES
from tracker.workflow import TERMINAL_STATES
from tracker.workflow import states_of
from tracker.workflow.effects import EFFECTS
from tracker.workflow.guards import GUARDS

KINDS = list(CaseKind)


def reachable_states(kind: CaseKind) -> set[str]:
    """States reachable from submission by following the table."""
    seen = {INITIAL_STATE}
    queue = deque([INITIAL_STATE])
    while queue:
        state = queue.popleft()
        for row in TABLES[kind]:
            if state in row.sources and row.dest not in seen:
                seen.add(row.dest)
                queue.append(row.dest)
    return seen


@pytest.mark.parametrize("kind", KINDS)
def test_every_state_is_reachable_from_submission(kind):
    assert reachable_states(kind) == set(states_of(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_terminal_states_have_no_exits(kind):
    for row in TABLES[kind]:
        assert not set(row.sources) & TERMINAL_STATES, f"{row.trigger} leaves a terminal state"


@pytest.mark.parametrize("kind", KINDS)
def test_every_other_state_has_an_exit(kind):
    exits = {source for row in TABLES[kind] for source in row.sources}
    for state in states_of(kind):
        if state not in TERMINAL_STATES:
            assert state in exits, f"{kind}: {state} is a dead end"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_the_shared_states_of_design_section_2(kind):
    assert {"awaiting_information", "withdrawn", "refused", "reopened", "closed"} <= set(states_of(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_every_role_guard_effect_and_clock_named_exists(kind):
    for row in TABLES[kind]:
        assert row.roles and all(isinstance(role, Role) for role in row.roles)
        assert all(name in GUARDS for name in row.guards), row
        assert all(name in EFFECTS for name in row.effects), row
        for clock in (*row.start, *row.pause, *row.resume, *row.stop):
            assert clock in CLOCKS or clock == ALL_CLOCKS, row


@pytest.mark.parametrize("kind", KINDS)
def test_each_trigger_leaves_a_state_at_most_once(kind):
    pairs = [(row.trigger, source) for row in TABLES[kind] for source in row.sources]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize("kind", KINDS)
def test_every_state_has_a_label(kind):
    assert set(states_of(kind)) <= set(STATE_LABELS)


@pytest.mark.parametrize("kind", KINDS)
def test_the_machine_is_built_from_the_table_without_back_doors(kind):
    machine = MACHINES[kind]
    assert set(machine.events) == {row.trigger for row in TABLES[kind]}
    assert not any(name.startswith("to_") for name in machine.events)
    assert machine.models == []


def test_no_model_has_to_state_methods():
    states = {state for kind in KINDS for state in states_of(kind)}
    for state in states:
        assert not hasattr(Case, f"to_{state}")
        assert not hasattr(Case, f"is_{state}")
