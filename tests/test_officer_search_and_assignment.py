"""Search finds cases by two Chinese characters, numbers, names and codes; bulk assignment writes one event per case."""

import re

from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_case
from tests.factories import gen_cast
from tests.factories import gen_enterprise
from tests.factories import gen_user
from tracker import audit
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import Role
from tracker.models import Visibility
from tracker.models import utcnow
from tracker.services import search


def found(query: str, per_page: int = 25) -> list[str]:
    """Every case number the search returns, following its pages."""
    numbers, cursor = [], None
    while True:
        page = search.search_cases(db.session, query, after=cursor, per_page=per_page)
        numbers += [row.case.number for row in page.rows]
        if page.next_cursor is None:
            return numbers
        cursor = page.next_cursor


def test_a_two_character_chinese_query_finds_its_case_and_only_cases_with_it(db_session):
    cast = gen_cast()
    made = [gen_case(cast) for _ in range(8)]
    with_leak = {case.number for case in made if "漏电" in case.narrative}
    assert with_leak and len(with_leak) < len(made)
    assert set(found("漏电", per_page=1)) == with_leak


def test_search_by_number_enterprise_name_credit_code_and_product(db_session):
    enterprise = gen_enterprise(name="华光厨具制造有限公司", credit_code="91330100MA2H7Q3K5Y")
    other = gen_cast()
    cast = gen_cast(enterprise)
    case = gen_case(cast)
    decoy = gen_case(other)
    assert found(case.number) == [case.number]
    assert found(case.number.lower()) == [case.number]
    assert found("华光厨具") == [case.number]
    assert found("91330100MA2H7Q3K5Y") == [case.number]
    assert found(case.product_batch) == [case.number]
    assert decoy.number in found(decoy.product_model)


def test_the_index_follows_edits_of_the_narrative_and_the_enterprise_name(db_session):
    cast = gen_cast()
    case = gen_case(cast)
    case.narrative = "充电时电池鼓包冒烟"
    audit.record(db.session, case, actor=cast.officer, action="correct_narrative", visibility=Visibility.STAFF,
                 now=utcnow())
    db.session.flush()
    assert found("鼓包") == [case.number]
    assert found("漏电") == []
    cast.enterprise_user.enterprise.name = "新名字电器公司"
    db.session.flush()
    assert found("新名字") == [case.number]


def test_a_query_without_a_two_character_word_is_explained(client, login_as):
    login_as("officer")
    response = client.get("/officer/search?q=a")
    assert response.status_code == 400
    assert "至少输入两个字符" in response.get_data(as_text=True)


def test_the_search_page_pages_with_rel_next(client, login_as, db_session):
    cast = gen_cast()
    made = {gen_case(cast).number for _ in range(30)}
    login_as(cast.officer)
    url, numbers = "/officer/search?q=" + "购买后", []
    while url:
        page = client.get(url).get_data(as_text=True)
        numbers += re.findall(r'data-case="([A-Z]{2}-\d{4}-\d{6})"', page)
        following = re.search(r'rel="next" href="([^"]+)"', page)
        url = following.group(1).replace("&amp;", "&") if following else None
    assert len(numbers) == len(set(numbers)) and set(numbers) == made


def test_bulk_reassignment_of_n_cases_writes_n_internal_audit_events(client, login_as, db_session):
    cast = gen_cast()
    second = gen_user(Role.OFFICER)
    chosen = [gen_case(cast, "complaint", "under_review") for _ in range(5)]
    left_alone = gen_case(cast, "complaint", "under_review")
    login_as(cast.officer)
    response = client.post("/officer/assign", data={
        "case_ids": [str(case.id) for case in chosen], "officer_id": str(second.id),
        "reason": "承办人休假", "return_to": "/officer/queue/mine",
    })
    assert response.status_code == 302 and response.location == "/officer/queue/mine"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assign")).all()
    assert sorted(event.case_id for event in events) == sorted(case.id for case in chosen)
    assert {event.visibility for event in events} == {"staff"}
    assert all('"reason":"承办人休假"' in event.body for event in events)
    assert all(case.assigned_officer_id == second.id for case in chosen)
    assert left_alone.assigned_officer_id == cast.officer.id
    mine = client.get("/officer/queue/mine").get_data(as_text=True)
    assert f'data-case="{left_alone.number}"' in mine and f'data-case="{chosen[0].number}"' not in mine
    assert all(brk is None for _number, brk in audit.verify_chains(db.session))


def test_assignment_without_a_reason_or_to_a_non_officer_changes_nothing(client, login_as, db_session):
    cast = gen_cast()
    case = gen_case(cast, "complaint", "under_review")
    login_as(cast.officer)
    client.post("/officer/assign", data={"case_ids": [str(case.id)], "officer_id": str(cast.officer.id), "reason": ""})
    client.post("/officer/assign", data={
        "case_ids": [str(case.id)], "officer_id": str(cast.applicant.id), "reason": "x",
    })
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "assign")) == 0


def test_an_officer_takes_a_new_case_and_it_leaves_the_new_queue(client, login_as, db_session):
    cast = gen_cast()
    case = gen_case(cast)
    officer = login_as("officer")
    card = f'data-case="{case.number}"'
    assert card in client.get("/officer/queue/new").get_data(as_text=True)
    response = client.post(f"/officer/cases/{case.number}/take", data={"return_to": "/officer/queue/new"})
    assert response.status_code == 302
    assert case.assigned_officer_id == officer.id
    assert card not in client.get("/officer/queue/new").get_data(as_text=True)
    assert card in client.get("/officer/queue/mine").get_data(as_text=True)


def test_staff_reassign_from_the_case_page_and_parties_see_no_such_form(client, login_as, db_session):
    cast = gen_cast()
    second = gen_user(Role.OFFICER)
    case = gen_case(cast, "complaint", "under_review")
    login_as(cast.officer)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'id="assignment"' in page and second.display_name in page
    response = client.post("/officer/assign", data={
        "case_ids": [str(case.id)], "officer_id": str(second.id), "reason": "专长",
        "return_to": f"/cases/{case.number}",
    })
    assert response.location == f"/cases/{case.number}"
    assert case.assigned_officer_id == second.id
    client.post("/logout")
    login_as(cast.applicant)
    assert 'id="assignment"' not in client.get(f"/cases/{case.number}").get_data(as_text=True)
