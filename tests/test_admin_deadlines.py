"""Administrators change the deadline rules and the calendar on pages; open cases keep their deadlines."""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import gen_user
from tracker.extensions import db
from tracker.models import Alert
from tracker.models import CalendarDay
from tracker.models import CalendarYear
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Deadline
from tracker.models import NonWorkingDayReceipt
from tracker.models import Role
from tracker.models import RuleSet
from tracker.models import SecurityEvent
from tracker.models import utcnow
from tracker.services import rule_sets
from tracker.services.rule_sets import RuleSetError
from tracker.workflow import fire
from tracker.working_days import local_date

DEFAULT_LIMITS = {
    "acceptance_working_days": 7,
    "enterprise_response_working_days": 10,
    "mediation_working_days": 45,
    "mediation_notice_working_days": 7,
    "objection_days": 15,
    "reopen_window_days": 5,
}


def clock(case: Case, name: str) -> Deadline:
    """The newest clock of that name on the case."""
    return [deadline for deadline in case.deadlines if deadline.clock == name][-1]


def new_version(admin, effective_from: date, *, now: datetime, receipt=NonWorkingDayReceipt.NEXT_WORKING_DAY_IS_DAY_ONE,
                **limits) -> RuleSet:
    return rule_sets.create_rule_set_version(
        db.session, admin, code=f"v-{effective_from.isoformat()}", name="Test version", effective_from=effective_from,
        limits={**DEFAULT_LIMITS, **limits}, non_working_day_receipt=str(receipt), now=now,
    )


def test_a_new_version_leaves_open_cases_alone_and_applies_from_its_date(make_case, cast):
    admin = gen_user(Role.ADMIN)
    # Filed Monday 2 March 2026 under the defaults: 7 working days to decide.
    open_case = make_case("complaint", state="under_review", filed_at=datetime(2026, 3, 2, 2, tzinfo=UTC))
    acceptance_due = clock(open_case, "acceptance").due_on
    assert acceptance_due == date(2026, 3, 11)
    shorter = new_version(admin, date(2026, 3, 9), now=datetime(2026, 3, 4, 2, tzinfo=UTC),
                          acceptance_working_days=3, enterprise_response_working_days=4)
    db.session.flush()
    # A clock the open case starts after the new version is in force still runs under its own set.
    fire(open_case, "accept", cast.officer, now=datetime(2026, 3, 10, 2, tzinfo=UTC))
    assert open_case.rule_set.code == "default-2022"
    assert clock(open_case, "acceptance").due_on == acceptance_due
    assert clock(open_case, "enterprise_response").due_on == date(2026, 3, 24), "10 working days from Tue 10 March"
    later_case = make_case("complaint", filed_at=datetime(2026, 3, 9, 2, tzinfo=UTC))
    assert later_case.rule_set == shorter
    assert clock(later_case, "acceptance").due_on == date(2026, 3, 12), "3 working days from Mon 9 March"


def test_a_new_version_carries_the_panel_rules_of_the_version_before_it(db_session):
    admin = gen_user(Role.ADMIN)
    before = rule_sets.defaults_for_new_version(db.session)
    appraisal_rule = next(rule for rule in before.panel_rules if rule.kind == CaseKind.APPRAISAL)
    appraisal_rule.min_size = 5
    db.session.flush()
    today = local_date(utcnow())
    later = new_version(admin, max(today, before.effective_from) + timedelta(days=30), now=utcnow())
    rules = {rule.kind: (rule.min_size, rule.odd_size, rule.excludes_appealed_panel) for rule in later.panel_rules}
    assert rules == {
        CaseKind.COMPLAINT.value: (1, False, False),
        CaseKind.QUALITY_APPEAL.value: (3, True, True),
        CaseKind.ARBITRATION.value: (1, False, False),
        CaseKind.APPRAISAL.value: (5, True, False),
    }


@pytest.mark.parametrize(
    ("receipt", "due_on"),
    [
        # Received Saturday 7 March 2026: Monday 9 is day 1, so the 7th working day is Tuesday 17.
        (NonWorkingDayReceipt.NEXT_WORKING_DAY_IS_DAY_ONE, date(2026, 3, 17)),
        # Monday 9 is day 0, Tuesday 10 day 1, so the 7th working day is Wednesday 18.
        (NonWorkingDayReceipt.NEXT_WORKING_DAY_IS_DAY_ZERO, date(2026, 3, 18)),
    ],
)
def test_the_rule_set_says_how_a_receipt_on_a_non_working_day_counts(make_case, receipt, due_on):
    admin = gen_user(Role.ADMIN)
    new_version(admin, date(2026, 3, 2), now=datetime(2026, 3, 1, 2, tzinfo=UTC), receipt=receipt)
    saturday = make_case("complaint", filed_at=datetime(2026, 3, 7, 2, tzinfo=UTC))
    assert clock(saturday, "acceptance").due_on == due_on
    # A receipt on a working day counts the same under either rule: Monday 9 March + 7 = Wednesday 18.
    monday = make_case("complaint", filed_at=datetime(2026, 3, 9, 2, tzinfo=UTC))
    assert clock(monday, "acceptance").due_on == date(2026, 3, 18)


def test_the_default_is_the_behaviour_before_the_option_existed(app, db_session):
    default = db.session.scalars(select(RuleSet).where(RuleSet.code == "default-2022")).one()
    assert default.non_working_day_receipt == NonWorkingDayReceipt.NEXT_WORKING_DAY_IS_DAY_ONE


@pytest.mark.parametrize(
    ("effective_from", "code"),
    [(date(2026, 3, 4), "not_in_future"), (date(2026, 3, 1), "not_in_future"), (date(2000, 1, 1), "not_in_future")],
)
def test_a_version_cannot_take_effect_today_or_earlier(db_session, effective_from, code):
    admin = gen_user(Role.ADMIN)
    with pytest.raises(RuleSetError) as refused:
        new_version(admin, effective_from, now=datetime(2026, 3, 4, 2, tzinfo=UTC))
    assert refused.value.code == code


def test_only_an_administrator_creates_a_version(db_session):
    officer = gen_user(Role.OFFICER)
    with pytest.raises(RuleSetError) as refused:
        new_version(officer, date(2026, 4, 1), now=datetime(2026, 3, 4, 2, tzinfo=UTC))
    assert refused.value.code == "not_admin"


def test_the_rule_set_page_adds_a_version_that_only_later_cases_get(client, login_as, make_case):
    admin = login_as("admin")
    open_case = make_case("complaint", state="enterprise_response")
    due_before = {deadline.id: deadline.due_on for deadline in open_case.deadlines}
    tomorrow = local_date(utcnow()) + timedelta(days=1)
    page = client.get("/admin/rule-sets")
    assert page.status_code == 200
    assert "default-2022" in page.get_data(as_text=True)
    response = client.post("/admin/rule-sets", data={
        "code": "order-2026", "name": "新规", "effective_from": tomorrow.isoformat(),
        **{name: str(value) for name, value in DEFAULT_LIMITS.items()}, "acceptance_working_days": "5",
        "non_working_day_receipt": "day_zero", "source": "",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    created = db.session.scalars(select(RuleSet).where(RuleSet.code == "order-2026")).one()
    assert (created.effective_from, created.acceptance_working_days, created.non_working_day_receipt) == (
        tomorrow, 5, "day_zero")
    db.session.expire_all()
    assert {deadline.id: deadline.due_on for deadline in open_case.deadlines} == due_before
    assert open_case.rule_set.code == "default-2022"
    later = make_case("complaint", filed_at=datetime.combine(tomorrow, datetime.min.time(), tzinfo=UTC)
                      + timedelta(hours=2))
    assert later.rule_set == created
    assert admin.role == Role.ADMIN


def test_the_rule_set_page_refuses_a_past_date_in_the_users_words(client, login_as):
    login_as("admin")
    response = client.post("/admin/rule-sets", data={
        "code": "too-late", "name": "x", "effective_from": local_date(utcnow()).isoformat(),
        **{name: str(value) for name, value in DEFAULT_LIMITS.items()}, "non_working_day_receipt": "day_one",
    })
    assert response.status_code == 422
    assert "明天" in response.get_data(as_text=True)
    assert db.session.scalars(select(RuleSet).where(RuleSet.code == "too-late")).first() is None


def test_entering_a_calendar_year_on_the_page_dates_the_pending_deadlines(client, login_as, make_case):
    login_as("admin")
    case = make_case("complaint", filed_at=datetime(2026, 12, 28, 2, tzinfo=UTC))
    acceptance = clock(case, "acceptance")
    assert acceptance.calendar_pending and acceptance.due_on is None
    overview = client.get("/admin/calendar")
    assert overview.status_code == 200 and 'data-year="2027"' in overview.get_data(as_text=True)
    draft = client.post("/admin/calendar/2027", data={"holidays": "2027-01-01 元旦\n", "workdays": ""})
    assert draft.status_code == 302
    db.session.expire_all()
    assert acceptance.calendar_pending, "a draft year is not used"
    complete = client.post("/admin/calendar/2027", data={
        "holidays": "2027-01-01 元旦\n2027-02-11=春节", "workdays": "2027-02-07 春节调休", "complete": "y"})
    assert complete.status_code == 302
    db.session.expire_all()
    # Mon 28 Dec: 29, 30, 31 Dec, (1 Jan off), 4, 5, 6, 7 Jan.
    assert acceptance.due_on == date(2027, 1, 7)
    assert not acceptance.calendar_pending
    assert db.session.get(CalendarYear, 2027).complete
    assert db.session.get(CalendarDay, date(2027, 2, 7)).is_working_day
    assert db.session.scalars(select(Alert).where(Alert.key == "calendar:2027")).one().resolved_at is not None
    page = client.get("/admin/calendar/2027").get_data(as_text=True)
    assert "2027-02-11 春节" in page


def test_saving_the_year_again_replaces_its_list(client, login_as):
    login_as("admin")
    client.post("/admin/calendar/2027", data={"holidays": "2027-01-01 元旦\n2027-01-04", "workdays": ""})
    client.post("/admin/calendar/2027", data={"holidays": "2027-01-01 元旦", "workdays": ""})
    days = db.session.scalars(select(CalendarDay.day).where(CalendarDay.year == 2027)).all()
    assert days == [date(2027, 1, 1)]


@pytest.mark.parametrize(
    ("holidays", "workdays", "shown"),
    [
        ("2027-02-30 bad", "", "2027-02-30"),
        ("2026-05-01", "", "2026-05-01"),
        ("2027-01-01", "2027-01-01", "2027-01-01"),
    ],
)
def test_a_bad_day_on_the_calendar_page_is_named_and_nothing_is_saved(client, login_as, holidays, workdays, shown):
    login_as("admin")
    response = client.post("/admin/calendar/2027", data={"holidays": holidays, "workdays": workdays, "complete": "y"})
    assert response.status_code == 422
    assert shown in response.get_data(as_text=True)
    assert db.session.get(CalendarYear, 2027) is None


ADMIN_PAGES = ["/admin/", "/admin/rule-sets", "/admin/calendar", "/admin/calendar/2027", "/admin/enterprises",
               "/admin/alerts", "/admin/outbox", "/admin/security-events", "/admin/taxonomy"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("role", ["officer", "consumer", "enterprise", "expert"])
def test_only_administrators_reach_the_administration_pages(client, login_as, path, role):
    user = login_as(role)
    response = client.get(path)
    assert response.status_code == 404
    logged = db.session.scalars(select(SecurityEvent).where(SecurityEvent.user_id == user.id, SecurityEvent.kind != "login")).all()
    assert [(event.kind, event.target) for event in logged] == [("access_denied", path)]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_visitor_is_sent_to_log_in_and_an_administrator_gets_the_page(client, login_as, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as("admin")
    assert client.get(path).status_code == 200


def test_posting_to_an_administration_page_as_an_officer_changes_nothing(client, login_as):
    login_as("officer")
    response = client.post("/admin/calendar/2027", data={"holidays": "2027-01-01", "complete": "y"})
    assert response.status_code == 404
    assert db.session.get(CalendarYear, 2027) is None
