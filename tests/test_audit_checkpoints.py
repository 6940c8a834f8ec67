"""Signed checkpoints: a chain rewritten whole, head hash and all, is named by audit-verify after a checkpoint."""

import pytest
from sqlalchemy import select
from sqlalchemy import text

from tests.factories import gen_case
from tests.factories import gen_cast
from tests.test_audit import drop_append_only_triggers
from tests.test_audit import verified_db  # noqa: F401 - a fixture this module uses
from tracker import audit
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import Case


@pytest.fixture
def signed(verified_db, tmp_path):  # noqa: F811 - the imported fixture
    """The verified database with a signing key and a checkpoint directory of its own."""
    app, numbers = verified_db
    app.config["AUDIT_SIGNING_KEY"] = str(tmp_path / "keys" / "audit-signing-key.pem")
    app.config["AUDIT_CHECKPOINT_DIR"] = str(tmp_path / "checkpoints")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tracker", "audit-keygen"])
    assert result.exit_code == 0, result.output
    return app, numbers, runner


def rewrite_whole_chain(number: str) -> None:
    """What someone who can drop the triggers does: change an event, then rehash every later link and the head."""
    drop_append_only_triggers()
    case = db.session.scalars(select(Case).where(Case.number == number)).one()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq)).all()
    events[1].body = audit.canonical_json({"forged": True})
    for previous, event in zip(events, events[1:], strict=False):
        event.prev_hash = previous.hash
        event.hash = audit.compute_hash(event, number)
    db.session.flush()
    db.session.execute(text("UPDATE cases SET audit_head_hash = :head WHERE id = :id"),
                       {"head": events[-1].hash, "id": case.id})
    db.session.commit()


def test_a_rewritten_chain_passes_the_hash_check_but_is_named_after_a_checkpoint(signed):
    app, numbers, runner = signed
    assert runner.invoke(args=["tracker", "audit-checkpoint"]).exit_code == 0
    assert "all extending the checkpoint" in runner.invoke(args=["tracker", "audit-verify"]).output
    with app.app_context():
        rewrite_whole_chain(numbers[0])
        assert all(chain_break is None for _number, chain_break in audit.verify_chains(db.session))
        db.session.remove()
    result = runner.invoke(args=["tracker", "audit-verify"])
    assert result.exit_code == 1
    assert f"REWRITTEN: case {numbers[0]}: event #" in result.output
    assert numbers[1] not in result.output and numbers[2] not in result.output


def test_chains_that_grew_after_the_checkpoint_still_extend_it(signed):
    app, numbers, runner = signed
    assert runner.invoke(args=["tracker", "audit-checkpoint"]).exit_code == 0
    with app.app_context():
        case = db.session.scalars(select(Case).where(Case.number == numbers[2])).one()
        audit.record(db.session, case, actor=None, action="note")
        gen_case(gen_cast(), "complaint")
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["tracker", "audit-verify"])
    assert result.exit_code == 0, result.output


def test_a_checkpoint_signed_with_another_key_is_refused(signed, tmp_path):
    app, numbers, runner = signed
    assert runner.invoke(args=["tracker", "audit-checkpoint"]).exit_code == 0
    app.config["AUDIT_SIGNING_KEY"] = str(tmp_path / "forger.pem")
    assert runner.invoke(args=["tracker", "audit-keygen"]).exit_code == 0
    assert runner.invoke(args=["tracker", "audit-checkpoint"]).exit_code == 0
    app.config["AUDIT_SIGNING_KEY"] = str(tmp_path / "keys" / "audit-signing-key.pem")
    result = runner.invoke(args=["tracker", "audit-verify"])
    assert result.exit_code == 1 and "does not verify" in result.output


def test_keygen_never_replaces_a_key(signed):
    _app, _numbers, runner = signed
    result = runner.invoke(args=["tracker", "audit-keygen"])
    assert result.exit_code != 0 and "exists" in result.output
