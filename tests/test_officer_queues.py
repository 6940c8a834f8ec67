"""The officer's queues hold exactly the cases they promise, and keyset pages neither repeat nor skip a case."""

import random
import re
import statistics
from collections import Counter
from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy import select

from tests.factories import gen_case
from tests.factories import gen_cast
from tests.factories import gen_user
from tracker import deadlines
from tracker import demo
from tracker import workflow
from tracker.extensions import db
from tracker.models import NO_DUE_DATE
from tracker.models import Case
from tracker.models import CaseQueueEntry
from tracker.models import CaseSearchTerm
from tracker.models import DeadlineStatus
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.models import workspace
from tracker.models.workspace import STAGE_OF_STATE
from tracker.services import assignment
from tracker.services import dashboard
from tracker.services import queues
from tracker.workflow.tables import TABLES
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date

#: States the generated cases are driven to: every queue gets some, and some are finished.
TARGETS = [
    ("complaint", None), ("complaint", "under_review"), ("complaint", "awaiting_information"),
    ("complaint", "enterprise_response"), ("complaint", "mediation"), ("complaint", "expert_review"),
    ("complaint", "settlement_proposed"), ("complaint", "closed"), ("complaint", "refused"),
    ("quality_appeal", "expert_review"), ("quality_appeal", "accepted"), ("arbitration", "sampling"),
    ("appraisal", "investigation"), ("appraisal", "withdrawn"),
]


def expected_next_due(case: Case) -> date | None:
    """The brute-force due date: the earliest dated running clock."""
    dates = [d.due_on for d in case.deadlines if d.status == DeadlineStatus.RUNNING and d.due_on is not None]
    return min(dates, default=None)


def brute_force(name: str, officer, cases: list[Case], today: date, calendar: WorkingCalendar) -> set[str]:
    """Each queue's promise, written out in plain Python over the cases themselves."""
    open_cases = [case for case in cases if case.state not in ("closed", "refused", "withdrawn")]
    soon = calendar.add_working_days(today, 2)
    promise = {
        "new": lambda case: case.assigned_officer_id is None,
        "mine": lambda case: case.assigned_officer_id == officer.id,
        "awaiting_applicant": lambda case: case.state in ("awaiting_information", "settlement_proposed"),
        "waiting_enterprise": lambda case: case.state == "enterprise_response",
        "mediation": lambda case: case.state == "mediation",
        "expert_review": lambda case: case.state in ("expert_review", "investigation", "deliberation"),
        "due_soon": lambda case: expected_next_due(case) is not None and today <= expected_next_due(case) <= soon,
        "overdue": lambda case: expected_next_due(case) is not None and expected_next_due(case) < today,
        "open": lambda case: True,
    }[name]
    return {case.number for case in open_cases if promise(case)}


@pytest.fixture
def generated(db_session):
    """Cases of every kind in many states, filed over the last 40 days, split between two officers."""
    rng = random.Random(6)
    cast = gen_cast()
    other_officer = gen_user(Role.OFFICER)
    now = utcnow()
    made = []
    for index in range(34):
        kind, state = TARGETS[index % len(TARGETS)]
        made.append(gen_case(cast, kind, state, filed_at=now - timedelta(days=rng.randint(0, 40), hours=index)))
    handed_over = [case for case in made if case.assigned_officer_id is not None and rng.random() < 0.4]
    assignment.assign_cases(db.session, handed_over, other_officer, cast.officer, reason="leave", now=now)
    db.session.flush()
    return cast, other_officer, made


def walk(name, officer, *, sort, today, calendar, per_page=4, filters=queues.QueueFilters()):
    """Every case of a queue, page after page, in the order the pages show them."""
    numbers, cursor = [], None
    while True:
        page = queues.list_queue(db.session, name, officer, filters=filters, sort=sort, after=cursor,
                                 today=today, calendar=calendar, per_page=per_page)
        numbers += [row.case.number for row in page.rows]
        if page.next_cursor is None:
            return numbers
        cursor = page.next_cursor


@pytest.mark.parametrize("name", list(queues.QUEUES))
def test_each_queue_holds_exactly_what_it_promises_in_every_sort(generated, name):
    cast, _other, made = generated
    today = local_date(utcnow())
    calendar = WorkingCalendar.from_session(db.session)
    expected = brute_force(name, cast.officer, made, today, calendar)
    for sort in queues.SORTS:
        listed = walk(name, cast.officer, sort=sort, today=today, calendar=calendar)
        assert len(listed) == len(set(listed)), f"{name}/{sort} repeats a case"
        assert set(listed) == expected, f"{name}/{sort}"
        by_number = {case.number: case for case in made}
        if sort == "number":
            assert listed == sorted(listed)
        elif sort == "filed":
            stamps = [by_number[number].filed_at for number in listed]
            assert stamps == sorted(stamps, reverse=True)
        else:
            dues = [expected_next_due(by_number[number]) or date.max for number in listed]
            assert dues == sorted(dues)
    assert queues.count_queue(db.session, name, cast.officer, today=today, calendar=calendar) == len(expected)


def test_filters_narrow_a_queue_exactly(generated):
    cast, other, made = generated
    today = local_date(utcnow())
    calendar = WorkingCalendar.from_session(db.session)
    open_cases = [case for case in made if case.state not in ("closed", "refused", "withdrawn")]
    middle = sorted(local_date(case.filed_at) for case in open_cases)[len(open_cases) // 2]
    checks = [
        (queues.QueueFilters(kind="complaint"), lambda case: case.kind == "complaint"),
        (queues.QueueFilters(state="mediation"), lambda case: case.state == "mediation"),
        (queues.QueueFilters(officer_id=other.id), lambda case: case.assigned_officer_id == other.id),
        (queues.QueueFilters(enterprise_id=cast.enterprise_user.enterprise_id), lambda case: True),
        (queues.QueueFilters(category="household_appliances", kind="appraisal"), lambda case: case.kind == "appraisal"),
        (queues.QueueFilters(filed_from=middle), lambda case: local_date(case.filed_at) >= middle),
        (queues.QueueFilters(filed_to=middle), lambda case: local_date(case.filed_at) <= middle),
    ]
    for filters, keep in checks:
        listed = walk("open", cast.officer, sort="due", today=today, calendar=calendar, filters=filters)
        assert set(listed) == {case.number for case in open_cases if keep(case)}, filters
    assert walk("open", cast.officer, sort="due", today=today, calendar=calendar,
                filters=queues.QueueFilters(category="no_such_category")) == []


@pytest.mark.parametrize("sort", list(queues.SORTS))
def test_pages_neither_repeat_nor_skip_when_cases_are_filed_between_page_loads(db_session, sort):
    cast = gen_cast()
    today = local_date(utcnow())
    calendar = WorkingCalendar.from_session(db.session)
    start = utcnow() - timedelta(days=20)
    existing = {gen_case(cast, "complaint", filed_at=start + timedelta(hours=5 * n)).number for n in range(13)}
    seen, cursor, filed_meanwhile = [], None, set()
    while True:
        page = queues.list_queue(db.session, "open", cast.officer, filters=queues.QueueFilters(), sort=sort,
                                 after=cursor, today=today, calendar=calendar, per_page=3)
        seen += [row.case.number for row in page.rows]
        for _ in range(2):
            filed_meanwhile.add(gen_case(cast, "complaint", filed_at=start + timedelta(hours=len(seen) * 5 + 1)).number)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen))
    assert existing <= set(seen)
    assert set(seen) <= existing | filed_meanwhile


def test_the_queue_page_follows_rel_next_to_every_open_case(client, login_as, generated):
    cast, _other, made = generated
    login_as(cast.officer)
    url, numbers = "/officer/queue/open?sort=filed", []
    for _ in range(50):
        response = client.get(url)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        numbers += re.findall(r'<li class="card case-card[^"]*" data-case="([A-Z]{2}-\d{4}-\d{6})"', page)
        following = re.search(r'<a class="[^"]*" rel="next" href="([^"]+)"', page)
        if following is None:
            break
        url = following.group(1).replace("&amp;", "&")
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == {case.number for case in made if case.state not in ("closed", "refused", "withdrawn")}


def test_queue_rows_follow_the_case_through_its_procedure(db_session, make_case, cast):
    case = make_case("complaint", "mediation")
    entry = db.session.get(CaseQueueEntry, case.id)
    assert (entry.state, entry.stage, entry.assigned_officer_id) == ("mediation", "mediation", cast.officer.id)
    assert entry.next_due_on == expected_next_due(case)
    closed = make_case("complaint", "closed")
    assert db.session.get(CaseQueueEntry, closed.id) is None
    assert db.session.scalars(select(CaseSearchTerm.term).where(CaseSearchTerm.case_id == closed.id)).first()


def test_a_bad_cursor_or_filter_is_a_400_not_a_500(client, login_as):
    login_as("officer")
    assert client.get("/officer/queue/open?after=bm90LWpzb24").status_code == 400
    assert client.get("/officer/queue/open?sort=due&after=" + queues.encode_cursor(["x", 1])).status_code == 400
    assert client.get("/officer/queue/open?sort=sideways").status_code == 400
    assert client.get("/officer/queue/open?filed_from=2026-05-02&filed_to=2026-05-01").status_code == 400
    assert client.get("/officer/queue/launch_rockets").status_code == 404


@pytest.mark.parametrize("role", ["consumer", "enterprise", "expert"])
def test_the_workspace_is_a_logged_404_for_everyone_but_staff(client, login_as, role):
    login_as(role)
    for url in ("/officer/", "/officer/queue/open", "/officer/search?q=漏电", "/officer/dashboard"):
        assert client.get(url).status_code == 404


def test_every_queue_has_a_label_and_the_stages_are_real_states():
    states = {state for rows in TABLES.values() for row in rows for state in (*row.sources, row.dest)}
    assert set(STAGE_OF_STATE) <= states
    assert set(STAGE_OF_STATE.values()) <= set(queues.QUEUES)


def test_the_demo_puts_a_case_in_every_queue_and_has_two_officers(db_session, app):
    logins = demo.load(db.session, app.extensions["password_hasher"])
    officers = [email for role, email, _password in logins if role == "officer"]
    by_role = {role: email for role, email, _password in logins}
    assert len(officers) == 2 and by_role["officer"].startswith("officer@")
    officer = db.session.scalars(select(User).where(User.email == by_role["officer"])).one()
    today = local_date(utcnow())
    calendar = WorkingCalendar.from_session(db.session)
    for name in queues.QUEUES:
        assert queues.count_queue(db.session, name, officer, today=today, calendar=calendar) > 0, name
    assert db.session.scalars(select(CaseQueueEntry).where(CaseQueueEntry.escalated.is_(True))).first()


def test_the_sweep_and_a_paused_clock_update_the_queue_row(db_session, make_case):
    case = make_case("complaint", "under_review")
    entry = db.session.get(CaseQueueEntry, case.id)
    assert entry.next_due_on < local_date(utcnow()) and not entry.escalated
    deadlines.sweep_overdue(db.session, now=utcnow())
    db.session.flush()
    db.session.refresh(entry)
    assert entry.escalated
    workflow.fire(case, "request_information", case.assigned_officer, now=utcnow(), missing_items="请补充发票",
                  reply_by=local_date(utcnow()) + timedelta(days=10))
    db.session.flush()
    db.session.refresh(entry)
    assert entry.stage == "awaiting_applicant" and entry.next_due_on == NO_DUE_DATE


def test_reindex_rebuilds_rows_lost_to_a_bulk_load(db_session, make_case):
    made = [make_case("complaint", "mediation"), make_case("complaint")]
    db.session.execute(delete(CaseQueueEntry))
    db.session.execute(delete(CaseSearchTerm))
    assert workspace.rebuild_all(db.session, batch_size=1) >= 2
    for case in made:
        assert db.session.get(CaseQueueEntry, case.id) is not None
    assert db.session.scalars(select(CaseSearchTerm).where(CaseSearchTerm.case_id == made[0].id)).first()


def test_the_dashboard_figures_match_the_cases(generated, client, login_as):
    cast, _other, made = generated
    today = local_date(utcnow())
    calendar = WorkingCalendar.from_session(db.session)
    board = dashboard.build_dashboard(db.session, cast.officer, today=today, calendar=calendar)
    open_cases = [case for case in made if case.state not in ("closed", "refused", "withdrawn")]
    assert dict(board.open_by_state) == dict(Counter(case.state for case in open_cases))
    assert dict(board.open_by_kind) == dict(Counter(case.kind for case in open_cases))
    assert board.overdue == len(brute_force("overdue", cast.officer, made, today, calendar))
    assert board.due_soon == len(brute_force("due_soon", cast.officer, made, today, calendar))
    first_monday = board.filings_per_week[0].monday
    assert len(board.filings_per_week) == 12
    assert sum(week.count for week in board.filings_per_week) == sum(
        1 for case in made if local_date(case.filed_at) >= first_monday
    )
    since = today - timedelta(days=dashboard.MEDIAN_WINDOW_DAYS)
    accepted = [calendar.working_days_between(local_date(case.filed_at), local_date(case.accepted_at))
                for case in made if case.accepted_at is not None and local_date(case.accepted_at) >= since]
    assert board.median_days_to_acceptance == statistics.median(accepted)
    login_as(cast.officer)
    page = client.get("/officer/dashboard").get_data(as_text=True)
    assert page.count('<rect class="chart-bar') == len(board.open_by_state) + len(board.open_by_kind) + 12
    assert 'href="/officer/queue/open?state=mediation"' in page
    assert "style=" not in page and "<script>" not in page


def test_the_reindex_command_reports_what_it_rebuilt(app, db_session, make_case):
    case = make_case("complaint", "mediation")
    db.session.execute(delete(CaseQueueEntry))
    result = app.test_cli_runner().invoke(args=["tracker", "reindex-workspace", "--batch-size", "50"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^\d+ case\(s\) reindexed$", result.output.strip())
    assert db.session.get(CaseQueueEntry, case.id) is not None
