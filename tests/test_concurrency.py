"""Two people advance the same case at the same moment: exactly one wins, the other gets a conflict."""

import threading

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from tests.factories import gen_case
from tests.factories import gen_cast
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import Case
from tracker.models import User
from tracker.workflow import InvalidTransition
from tracker.workflow import StaleCase
from tracker.workflow import fire

CONFLICTS = (StaleCase, InvalidTransition, StaleDataError)


@pytest.fixture
def shared_case(databases):
    """A submitted complaint committed to a fresh database, and two officers."""
    app = databases.migrated_app("race")
    with app.app_context():
        cast = gen_cast()
        second_officer = type(cast.officer)(
            email="second-officer@example.test", display_name="second", password_hash="x", role="officer"
        )
        db.session.add(second_officer)
        case = gen_case(cast, "complaint")
        db.session.commit()
        ids = (case.id, case.version, cast.officer.id, second_officer.id)
        db.session.remove()
    yield app, ids
    with app.app_context():
        db.engine.dispose()


def race(app, case_id: int, actors: list[int], expected_version: int | None) -> list[object]:
    """Both threads load the case, meet at a barrier, fire start_review and commit."""
    barrier = threading.Barrier(len(actors))
    outcomes: list[object] = [None] * len(actors)

    def advance(slot: int, actor_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                case = db.session.get(Case, case_id)
                actor = db.session.get(User, actor_id)
                fire(case, "start_review", actor, expected_version=expected_version)
                db.session.commit()
                outcomes[slot] = "won"
            except CONFLICTS as conflict:
                db.session.rollback()
                outcomes[slot] = conflict
            finally:
                db.session.remove()

    threads = [threading.Thread(target=advance, args=(slot, actor)) for slot, actor in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("with_form_version", [True, False], ids=["form-version", "no-version"])
def test_exactly_one_of_two_simultaneous_actions_wins(shared_case, with_form_version):
    app, (case_id, version, officer_id, second_id) = shared_case
    outcomes = race(app, case_id, [officer_id, second_id], version if with_form_version else None)
    assert outcomes.count("won") == 1, outcomes
    loser = next(outcome for outcome in outcomes if outcome != "won")
    assert isinstance(loser, CONFLICTS), outcomes
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.state == "under_review"
        assert case.version == version + 1
        count = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "start_review")
        )
        assert count == 1
        db.session.remove()
