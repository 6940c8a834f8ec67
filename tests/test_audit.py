"""The audit trail: one event per change, hash-chained, append-only in the database, verified by a command."""

from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from tests.factories import gen_case
from tests.factories import gen_cast
from tracker import audit
from tracker.audit import GENESIS_HASH
from tracker.audit import UnauditedChange
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import Case
from tracker.models import Visibility


def events_of(case: Case) -> list[AuditEvent]:
    """The case's chain in order."""
    return db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq)).all()


def test_each_transition_adds_one_linked_event(make_case):
    case = make_case("complaint", state="settled")
    db.session.flush()
    events = events_of(case)
    assert [event.action for event in events] == [
        "submit", "start_review", "accept", "propose_settlement", "accept_settlement",
    ]
    assert events[0].prev_hash == GENESIS_HASH
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
        assert event.from_state == previous.to_state
    assert case.audit_head_hash == events[-1].hash


def test_an_event_timed_in_beijing_verifies_once_read_back_as_utc(make_case):
    case = make_case("complaint")
    beijing = datetime(2026, 11, 30, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    audit.record(db.session, case, actor=None, action="note", body={}, visibility=Visibility.STAFF, now=beijing)
    db.session.commit()
    db.session.expire_all()
    newest = events_of(case)[-1]
    assert newest.occurred_at == beijing and newest.occurred_at.utcoffset() == timedelta(0)
    assert dict(audit.verify_chains(db.session))[case.number] is None


def test_personal_data_is_kept_only_as_a_digest(make_case):
    case = make_case("complaint")
    db.session.flush()
    body = events_of(case)[0].body
    assert case.narrative not in body
    assert audit.personal_digest(case.narrative) in body


def test_changing_a_case_without_an_audit_event_is_refused(make_case):
    case = make_case("complaint")
    db.session.flush()
    case.product_name = "换了名字"
    with pytest.raises(UnauditedChange):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_to_update_an_audit_event(make_case):
    case = make_case("complaint")
    db.session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(text("UPDATE audit_events SET action = 'forged' WHERE case_id = :id"), {"id": case.id})


def test_the_database_refuses_to_delete_an_audit_event(make_case):
    case = make_case("complaint")
    db.session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(text("DELETE FROM audit_events WHERE case_id = :id"), {"id": case.id})
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id)) == 1


def drop_append_only_triggers() -> None:
    """What an attacker with DDL rights would do first."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
    else:
        db.session.execute(text("DROP TRIGGER audit_events_no_update"))
        db.session.execute(text("DROP TRIGGER audit_events_no_delete"))


@pytest.fixture
def verified_db(databases):
    """A fresh database with a few driven cases, for tests that must tamper for real."""
    app = databases.migrated_app("audit")
    with app.app_context():
        cast = gen_cast()
        cases = [gen_case(cast, kind, state) for kind, state in [
            ("complaint", "closed"), ("arbitration", "final"), ("appraisal", "investigation"),
        ]]
        db.session.commit()
        numbers = [case.number for case in cases]
        db.session.remove()
    yield app, numbers
    with app.app_context():
        db.engine.dispose()


def test_audit_verify_passes_on_an_untouched_trail(verified_db):
    app, numbers = verified_db
    result = app.test_cli_runner().invoke(args=["tracker", "audit-verify"])
    assert result.exit_code == 0, result.output
    assert "OK: 3 case chains verified" in result.output


def test_audit_verify_names_an_edited_middle_event(verified_db):
    app, numbers = verified_db
    with app.app_context():
        drop_append_only_triggers()
        case_id = db.session.scalar(select(Case.id).where(Case.number == numbers[1]))
        db.session.execute(
            text("UPDATE audit_events SET body = '{\"report_reference\":\"forged\"}' WHERE case_id = :id AND seq = 3"),
            {"id": case_id},
        )
        db.session.commit()
        target = db.session.scalar(select(AuditEvent.id).where(AuditEvent.case_id == case_id, AuditEvent.seq == 3))
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["tracker", "audit-verify"])
    assert result.exit_code == 1
    assert f"case {numbers[1]}, event #3 (id {target}): content does not match its hash" in result.output


def test_audit_verify_notices_a_deleted_middle_event_and_a_cut_off_tail(verified_db):
    app, numbers = verified_db
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
        else:
            db.session.execute(text("DROP TRIGGER audit_events_no_delete"))
        first, third = (db.session.scalar(select(Case.id).where(Case.number == n)) for n in (numbers[0], numbers[2]))
        db.session.execute(text("DELETE FROM audit_events WHERE case_id = :id AND seq = 2"), {"id": first})
        last_seq = db.session.scalar(select(func.max(AuditEvent.seq)).where(AuditEvent.case_id == third))
        db.session.execute(text("DELETE FROM audit_events WHERE case_id = :id AND seq = :seq"),
                           {"id": third, "seq": last_seq})
        db.session.commit()
        breaks = {number: chain_break for number, chain_break in audit.verify_chains(db.session) if chain_break}
        db.session.remove()
    assert breaks[numbers[0]].reason == "event #2 is missing"
    assert breaks[numbers[2]].reason == "events are missing from the end of the chain"
    result = app.test_cli_runner().invoke(args=["tracker", "audit-verify"])
    assert result.exit_code == 1 and numbers[0] in result.output
