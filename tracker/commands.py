"""`flask --app wsgi tracker ...`: audit verification, the deadline sweep, calendar years, demo data, the outbox."""

import sys
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from tracker import audit
from tracker import deadlines
from tracker import demo
from tracker import notifications
from tracker.evidence import delete_if_unreferenced
from tracker.extensions import db
from tracker.models import CalendarDay
from tracker.models import CalendarYear
from tracker.models import utcnow
from tracker.services import filing
from tracker.services import inspections
from tracker.services import throttle
from tracker.workflow.diagrams import readme_section

tracker_cli = AppGroup("tracker", help="Case Tracker administration.")

#: Consecutive optimistic-lock conflicts after which a sweep gives up until its next run.
MAX_SWEEP_CONFLICTS = 5
#: Throttle records older than every rate-limit window are useless.
THROTTLE_RETENTION = timedelta(days=1)


@tracker_cli.command("audit-verify")
def audit_verify() -> None:
    """Verify every case's audit chain; exit 1 at the first broken link, naming the case and event."""
    checked = 0
    for _case_number, chain_break in audit.verify_chains(db.session):
        if chain_break is not None:
            click.echo(f"BROKEN: {chain_break}", err=True)
            sys.exit(1)
        checked += 1
    click.echo(f"OK: {checked} case chains verified")


@tracker_cli.command("sweep")
@click.option("--now", "now_text", help="Pretend it is this UTC time (ISO 8601), for replaying a missed day.")
def sweep(now_text: str | None) -> None:
    """Mark overdue deadlines and escalate them; safe to run often and from several hosts."""
    now = datetime.fromisoformat(now_text) if now_text else utcnow()
    if now.tzinfo is None:
        raise click.BadParameter("give a timezone, e.g. 2026-12-01T00:00:00+00:00", param_hint="--now")
    total_cases = total_deadlines = 0
    fixed = deadlines.recompute_pending(db.session)
    db.session.commit()
    finalized = _finalize_lapsed_reports(now)
    conflicts = 0
    while True:
        try:
            result = deadlines.sweep_overdue(db.session, now=now)
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            conflicts += 1
            if conflicts > MAX_SWEEP_CONFLICTS:
                click.echo("stopped: cases kept changing under the sweep; the next run takes them", err=True)
                break
            continue
        if not result.cases:
            break
        total_cases += len(result.cases)
        total_deadlines += result.deadlines
    click.echo(f"swept: {total_deadlines} overdue deadlines on {total_cases} cases; {fixed} pending dates fixed; "
               f"{finalized} reports made final")


def _finalize_lapsed_reports(now: datetime) -> int:
    """Make final, batch by batch, each report whose objection window ended without an objection."""
    total = conflicts = 0
    while True:
        try:
            finalized = inspections.finalize_lapsed_reports(db.session, now=now)
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            conflicts += 1
            if conflicts > MAX_SWEEP_CONFLICTS:
                break
            continue
        if not finalized:
            return total
        total += len(finalized)
    return total


@tracker_cli.command("purge")
@click.option("--draft-days", default=30, show_default=True, type=click.IntRange(min=1),
              help="Delete filings never submitted and untouched for this many days.")
def purge(draft_days: int) -> None:
    """Housekeeping: abandoned filing drafts and their files, and throttle records no window reads any more."""
    now = utcnow()
    unused_files = filing.purge_abandoned_drafts(db.session, older_than=now - timedelta(days=draft_days))
    forgotten = throttle.forget_older_than(db.session, now - THROTTLE_RETENTION)
    db.session.commit()
    root = Path(current_app.config["UPLOAD_FOLDER"])
    for stored_name in unused_files:
        delete_if_unreferenced(root, stored_name)
    click.echo(f"purged: {len(unused_files)} unused files, {forgotten} throttle records")


@tracker_cli.command("calendar-year")
@click.argument("year", type=int)
@click.option("--holiday", "holidays", multiple=True, help="A weekday off (YYYY-MM-DD[=name]); repeatable.")
@click.option("--workday", "workdays", multiple=True, help="An adjusted working weekend day (YYYY-MM-DD[=name]).")
@click.option("--complete/--draft", default=False, help="Use the year for deadlines (only once it is all entered).")
def calendar_year(year: int, holidays: tuple[str, ...], workdays: tuple[str, ...], complete: bool) -> None:
    """Enter a year's holidays and adjusted working days when the calendar package does not know it yet."""
    entry = db.session.get(CalendarYear, year) or CalendarYear(year=year)
    db.session.add(entry)
    for values, is_working in ((holidays, False), (workdays, True)):
        for value in values:
            day_text, _, name = value.partition("=")
            try:
                day = date.fromisoformat(day_text)
            except ValueError:
                raise click.BadParameter(f"{day_text!r} is not a date (YYYY-MM-DD)") from None
            if day.year != year:
                raise click.BadParameter(f"{day} is not in {year}")
            row = db.session.get(CalendarDay, day) or CalendarDay(day=day, year=year)
            row.is_working_day = is_working
            row.name = name or None
            db.session.add(row)
    entry.complete = complete
    entry.updated_at = utcnow()
    db.session.flush()
    fixed = deadlines.recompute_pending(db.session) if complete else 0
    if complete:
        deadlines.resolve_alert(db.session, f"calendar:{year}")
    db.session.commit()
    days = db.session.scalars(select(CalendarDay).where(CalendarDay.year == year)).all()
    status = "complete" if complete else "draft"
    click.echo(f"{year}: {len(days)} exceptions, {status}; {fixed} pending deadlines dated")


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
