"""`flask --app wsgi tracker ...`: audit verification, the deadline sweep, calendar years, demo data, the outbox."""

import sys
from collections.abc import Callable
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm.exc import StaleDataError

from tracker import audit
from tracker import audit_checkpoints
from tracker import deadlines
from tracker import demo
from tracker import notifications
from tracker.evidence import delete_if_unreferenced
from tracker.evidence import remove_abandoned_temporary_files
from tracker.extensions import db
from tracker.models import utcnow
from tracker.models import workspace as workspace_index
from tracker.services import calendar_years
from tracker.services import filing
from tracker.services import inspections
from tracker.services import mediation
from tracker.services import sessions
from tracker.services import throttle
from tracker.workflow.diagrams import readme_section

tracker_cli = AppGroup("tracker", help="Case Tracker administration.")

#: Consecutive optimistic-lock conflicts after which a sweep gives up until its next run.
MAX_SWEEP_CONFLICTS = 5
#: Why calendar-year refused its input, in the command's words.
CALENDAR_REFUSALS = {
    "not_a_date": "{value!r} is not a date (YYYY-MM-DD)",
    "wrong_year": "{value} is not in {year}",
    "listed_twice": "{value} is given both as a holiday and as a working day",
    "year_out_of_range": "{value} is not a year this calendar can hold",
}
#: Throttle records older than every rate-limit window are useless.
THROTTLE_RETENTION = timedelta(days=1)
#: An upload's temporary file older than this was left by a writer that died (a write takes seconds).
TEMPORARY_FILE_RETENTION = timedelta(hours=1)
#: Ended or expired sessions are kept this long for a look back after an incident, then deleted.
SESSION_RETENTION = timedelta(days=30)


@tracker_cli.command("audit-verify")
def audit_verify() -> None:
    """Verify every case's audit chain, then that each still extends the latest signed checkpoint; exit 1 if not."""
    checked = 0
    for _case_number, chain_break in audit.verify_chains(db.session):
        if chain_break is not None:
            click.echo(f"BROKEN: {chain_break}", err=True)
            sys.exit(1)
        checked += 1
    key_path = Path(current_app.config["AUDIT_SIGNING_KEY"])
    directory = Path(current_app.config["AUDIT_CHECKPOINT_DIR"])
    try:
        checkpoint = None
        if key_path.exists():
            checkpoint = audit_checkpoints.latest_checkpoint(
                directory, audit_checkpoints.load_signing_key(key_path).public_key()
            )
    except audit_checkpoints.CheckpointError as error:
        click.echo(f"BROKEN: {error}", err=True)
        sys.exit(1)
    if checkpoint is None:
        click.echo(f"OK: {checked} case chains verified (no signed checkpoint yet)")
        return
    departures = audit_checkpoints.chains_departing_from(db.session, checkpoint)
    for number, reason in departures:
        click.echo(f"REWRITTEN: case {number}: {reason}", err=True)
    if departures:
        sys.exit(1)
    click.echo(f"OK: {checked} case chains verified, all extending the checkpoint of {checkpoint.created_at}")


@tracker_cli.command("audit-keygen")
def audit_keygen() -> None:
    """Create the Ed25519 key that signs audit checkpoints (AUDIT_SIGNING_KEY); refuses to replace one."""
    path = Path(current_app.config["AUDIT_SIGNING_KEY"])
    try:
        public_key = audit_checkpoints.generate_signing_key(path)
    except audit_checkpoints.CheckpointError as error:
        raise click.ClickException(str(error)) from None
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    click.echo(f"signing key written to {path}; public key (keep a copy elsewhere): {raw.hex()}")


@tracker_cli.command("audit-checkpoint")
def audit_checkpoint() -> None:
    """Sign every chain's head and append the checkpoint to AUDIT_CHECKPOINT_DIR (run it from a scheduler)."""
    for _case_number, chain_break in audit.verify_chains(db.session):
        if chain_break is not None:
            raise click.ClickException(f"not signing a broken chain: {chain_break}")
    try:
        key = audit_checkpoints.load_signing_key(Path(current_app.config["AUDIT_SIGNING_KEY"]))
    except audit_checkpoints.CheckpointError as error:
        raise click.ClickException(str(error)) from None
    path = audit_checkpoints.write_checkpoint(
        db.session, key, Path(current_app.config["AUDIT_CHECKPOINT_DIR"]), now=utcnow()
    )
    click.echo(f"checkpoint appended to {path}")


@tracker_cli.command("sweep")
@click.option("--now", "now_text", help="Pretend it is this UTC time (ISO 8601), for replaying a missed day.")
def sweep(now_text: str | None) -> None:
    """Mark overdue deadlines and escalate them; safe to run often and from several hosts."""
    now = datetime.fromisoformat(now_text) if now_text else utcnow()
    if now.tzinfo is None:
        raise click.BadParameter("give a timezone, e.g. 2026-12-01T00:00:00+00:00", param_hint="--now")
    fixed = deadlines.recompute_pending(db.session)
    db.session.commit()
    ended = _in_batches(lambda: len(mediation.end_expired_mediations(db.session, now=now)))
    finalized = _in_batches(lambda: len(inspections.finalize_lapsed_reports(db.session, now=now)))
    overdue_deadlines = 0

    def sweep_overdue_batch() -> int:
        nonlocal overdue_deadlines
        result = deadlines.sweep_overdue(db.session, now=now)
        overdue_deadlines += result.deadlines
        return len(result.cases)

    overdue_cases = _in_batches(sweep_overdue_batch)
    click.echo(f"swept: {overdue_deadlines} overdue deadlines on {overdue_cases} cases; {fixed} pending dates fixed; "
               f"{ended} expired mediations ended; {finalized} reports made final")


def _in_batches(step: Callable[[], int]) -> int:
    """Run one sweep step batch by batch, each batch its own commit, until a batch finds nothing.

    A batch that lost a race with another host (StaleDataError) is rolled back and tried again a few times; what
    is left is the next run's work. Returns how many cases the batches handled.
    """
    handled = conflicts = 0
    while True:
        try:
            count = step()
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            conflicts += 1
            if conflicts > MAX_SWEEP_CONFLICTS:
                click.echo("stopped: cases kept changing under the sweep; the next run takes them", err=True)
                return handled
            continue
        if not count:
            return handled
        handled += count


@tracker_cli.command("purge")
@click.option("--draft-days", default=30, show_default=True, type=click.IntRange(min=1),
              help="Delete filings never submitted and untouched for this many days.")
def purge(draft_days: int) -> None:
    """Housekeeping: abandoned drafts and their files, stale throttle records, temporary files of crashed uploads,
    sessions long over."""
    now = utcnow()
    unused_files = filing.purge_abandoned_drafts(db.session, older_than=now - timedelta(days=draft_days))
    forgotten = throttle.forget_older_than(db.session, now - THROTTLE_RETENTION)
    sessions_over = sessions.forget_sessions_over_before(db.session, now - SESSION_RETENTION)
    db.session.commit()
    root = Path(current_app.config["UPLOAD_FOLDER"])
    for stored_name in unused_files:
        delete_if_unreferenced(root, stored_name)
    leftovers = remove_abandoned_temporary_files(root, (now - TEMPORARY_FILE_RETENTION).timestamp())
    click.echo(f"purged: {len(unused_files)} unused files, {forgotten} throttle records, {leftovers} temporary files, "
               f"{sessions_over} sessions over")


@tracker_cli.command("calendar-year")
@click.argument("year", type=int)
@click.option("--holiday", "holidays", multiple=True, help="A weekday off (YYYY-MM-DD[=name]); repeatable.")
@click.option("--workday", "workdays", multiple=True, help="An adjusted working weekend day (YYYY-MM-DD[=name]).")
@click.option("--complete/--draft", default=False, help="Use the year for deadlines (only once it is all entered).")
def calendar_year(year: int, holidays: tuple[str, ...], workdays: tuple[str, ...], complete: bool) -> None:
    """Enter a year's holidays and adjusted working days when the calendar package does not know it yet."""
    try:
        saved = calendar_years.save_calendar_year(
            db.session,
            year,
            holidays=[calendar_years.parse_day(value, year) for value in holidays],
            workdays=[calendar_years.parse_day(value, year) for value in workdays],
            complete=complete,
            replace=False,
        )
    except calendar_years.CalendarEntryError as refused:
        db.session.rollback()
        raise click.BadParameter(CALENDAR_REFUSALS[refused.code].format(value=refused.value, year=year)) from None
    db.session.commit()
    status = "complete" if saved.complete else "draft"
    click.echo(f"{year}: {saved.exceptions} exceptions, {status}; {saved.dated} pending deadlines dated")


@tracker_cli.command("demo")
def load_demo() -> None:
    """Create one account per role and cases of every kind in many states (once)."""
    logins_file = Path(current_app.instance_path) / "demo-logins.txt"
    logins = demo.load(db.session, current_app.extensions["password_hasher"],
                       upload_root=Path(current_app.config["UPLOAD_FOLDER"]))
    if logins is None:
        click.echo("demo data already loaded")
        if logins_file.exists():
            click.echo(logins_file.read_text(), nl=False)
        return
    db.session.commit()
    lines = ["demo accounts (role, e-mail, password):"]
    lines += [f"  {role:<11} {email:<28} {password}" for role, email, password in logins]
    click.echo("\n".join(lines))
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    logins_file.write_text("\n".join(lines) + "\n")
    logins_file.chmod(0o600)


@tracker_cli.command("send-outbox")
def send_outbox() -> None:
    """Send queued notifications (SMTP when MAIL_SERVER is set, otherwise print them)."""
    sent = notifications.send_pending(db.session, current_app.config)
    click.echo(f"sent {sent} messages")


@tracker_cli.command("diagrams")
def diagrams() -> None:
    """Print each kind's procedure as Mermaid, generated from the transition tables (for the README)."""
    click.echo(readme_section(), nl=False)


@tracker_cli.command("reindex-workspace")
@click.option("--batch-size", default=1000, show_default=True, help="Cases rewritten per batch.")
def reindex_workspace(batch_size: int) -> None:
    """Rebuild the officer queues' rows and the search index from the cases (after a bulk load or an upgrade)."""
    rebuilt = workspace_index.rebuild_all(db.session, batch_size=batch_size)
    db.session.commit()
    click.echo(f"{rebuilt} case(s) reindexed")
