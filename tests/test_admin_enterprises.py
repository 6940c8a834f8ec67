"""Administrators create enterprises with a checked credit code, confirm those consumers entered, merge duplicates."""

import pytest
from sqlalchemy import select

from tests.factories import gen_case
from tests.factories import gen_cast
from tests.factories import gen_enterprise
from tests.factories import gen_user
from tracker import audit
from tracker.demo import filing_data
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.services import cases
from tracker.services import enterprises
from tracker.services import filing

#: Codes of real enterprises, as printed on their business licences.
REAL_CODES = ["91330100799655058B", "9144030071526726XG", "914403001922038216", "91110000802100433B"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_pass_their_check_character(code):
    assert enterprises.credit_code_problem(code) is None
    assert enterprises.credit_code_check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", REAL_CODES)
def test_any_other_last_character_is_refused(code):
    for wrong in enterprises.CREDIT_CODE_CHARACTERS.replace(code[17], ""):
        assert enterprises.credit_code_problem(code[:17] + wrong) == "check_character"


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91330100799655058", "length"),
        ("91330100799655058BB", "length"),
        ("", "length"),
        ("9133010079965505IB", "characters"),
        ("913301007996550O8B", "characters"),
        ("91330100799655058b", "characters"),
        ("9133010079965505８B", "characters"),
        ("91330100 99655058B", "characters"),
    ],
)
def test_a_wrong_length_or_character_is_named(code, problem):
    assert enterprises.credit_code_problem(code) == problem


def test_a_swap_of_two_characters_is_caught():
    code = "91330100799655058B"
    swapped = code[:8] + code[9] + code[8] + code[10:]
    assert swapped != code and not enterprises.is_valid_credit_code(swapped)


def test_the_page_creates_an_enterprise_with_a_valid_code_typed_loosely(client, login_as):
    login_as("admin")
    response = client.post("/admin/enterprises", data={"name": "杭州示例科技有限公司", "credit_code": " 91330100 799655058b "})
    assert response.status_code == 302
    created = db.session.scalars(select(Enterprise).where(Enterprise.credit_code == "91330100799655058B")).one()
    assert created.confirmed and created.name == "杭州示例科技有限公司"
    assert [found.id for found in filing.search_enterprises(db.session, "杭州示例")] == [created.id]


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("91330100799655058C", 422, "最后一位"),
        ("9133010079965505", 422, "18 位"),
        ("9133010079965505IB", 422, "I、O、S、V"),
    ],
)
def test_the_page_refuses_a_bad_code_in_the_users_words(client, login_as, code, status, message):
    login_as("admin")
    response = client.post("/admin/enterprises", data={"name": "某公司", "credit_code": code})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(Enterprise).where(Enterprise.name == "某公司")).first() is None


def test_a_code_on_file_is_refused_with_a_hint_to_merge(client, login_as):
    login_as("admin")
    gen_enterprise(credit_code="9144030071526726XG")
    db.session.commit()
    response = client.post("/admin/enterprises", data={"name": "重复", "credit_code": "9144030071526726XG"})
    assert response.status_code == 409
    assert "合并" in response.get_data(as_text=True)


def case_naming(enterprise: Enterprise):
    """A complaint a consumer filed against this enterprise (which has no accounts of its own)."""
    applicant = gen_user("consumer")
    case, _code = cases.submit_case(db.session, applicant, CaseKind.COMPLAINT, filing_data(enterprise, CaseKind.COMPLAINT, 1))
    db.session.flush()
    return case


def consumer_entered(name="消费者填写的公司", credit_code=None) -> Enterprise:
    return gen_enterprise(name=name, credit_code=credit_code, confirmed=False)


def test_confirming_a_consumer_entered_enterprise_checks_its_code_and_records_it_on_its_cases(client, login_as):
    admin = login_as("admin")
    entered = consumer_entered()
    case = gen_case(gen_cast(entered))
    db.session.commit()
    refused = client.post(f"/admin/enterprises/{entered.id}/confirm",
                          data={"name": entered.name, "credit_code": "91110000802100433C"})
    assert refused.status_code == 422
    db.session.refresh(entered)
    assert not entered.confirmed
    response = client.post(f"/admin/enterprises/{entered.id}/confirm",
                           data={"name": "北京示例有限公司", "credit_code": "91110000802100433B"})
    assert response.status_code == 302
    db.session.refresh(entered)
    assert entered.confirmed and entered.credit_code == "91110000802100433B" and entered.name == "北京示例有限公司"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq.desc())).first()
    assert (event.action, event.actor_id) == ("confirm_enterprise", admin.id)


def test_merging_moves_every_case_with_an_audit_event_and_hides_the_duplicate(client, login_as):
    admin = login_as("admin")
    real = gen_enterprise(name="深圳示例有限公司", credit_code="9144030071526726XG")
    duplicate = consumer_entered("深圳示例公司（消费者填写）")
    moved_cases = [case_naming(duplicate) for _ in range(2)]
    untouched = gen_case(gen_cast(gen_enterprise()))
    response = client.post(f"/admin/enterprises/{duplicate.id}/merge", data={"target_code": "9144030071526726xg"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/enterprises/{real.id}")
    db.session.expire_all()
    for case in moved_cases:
        assert case.enterprise_id == real.id
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq.desc())
        ).first()
        assert (event.action, event.actor_id) == ("merge_enterprise", admin.id)
        assert f'"from_enterprise_id":{duplicate.id}' in event.body
    assert untouched.enterprise_id != real.id
    assert duplicate.merged_into_id == real.id and not duplicate.confirmed
    assert duplicate.id not in {found.id for found in filing.search_enterprises(db.session, "深圳示例")}
    assert all(chain_break is None for _number, chain_break in audit.verify_chains(db.session))


@pytest.mark.parametrize(
    ("target_code", "status"),
    [("91110000802100433B", 422), ("91330100799655058B", 422)],
)
def test_merging_into_an_unknown_or_unconfirmed_enterprise_changes_nothing(client, login_as, target_code, status):
    login_as("admin")
    duplicate = consumer_entered()
    gen_enterprise(name="未确认", credit_code="91330100799655058B", confirmed=False)
    case = case_naming(duplicate)
    db.session.commit()
    response = client.post(f"/admin/enterprises/{duplicate.id}/merge", data={"target_code": target_code})
    assert response.status_code == status
    db.session.expire_all()
    assert case.enterprise_id == duplicate.id and duplicate.merged_into_id is None


def test_a_confirmed_enterprise_cannot_be_merged_away(client, login_as):
    login_as("admin")
    confirmed = gen_enterprise()
    real = gen_enterprise(credit_code="9144030071526726XG")
    db.session.commit()
    response = client.post(f"/admin/enterprises/{confirmed.id}/merge", data={"target_code": real.credit_code})
    assert response.status_code == 409


def test_the_list_finds_enterprises_by_status_name_and_code(client, login_as):
    login_as("admin")
    entered = consumer_entered("待确认的示例公司")
    confirmed = gen_enterprise(name="已确认的示例公司", credit_code="91330100799655058B")
    unconfirmed_page = client.get("/admin/enterprises?status=unconfirmed").get_data(as_text=True)
    assert f'data-enterprise="{entered.id}"' in unconfirmed_page
    assert f'data-enterprise="{confirmed.id}"' not in unconfirmed_page
    by_code = client.get("/admin/enterprises?q=913301").get_data(as_text=True)
    assert f'data-enterprise="{confirmed.id}"' in by_code
    assert client.get(f"/admin/enterprises/{entered.id}").status_code == 200
    assert client.get("/admin/enterprises/999999999").status_code == 404
    assert client.get("/admin/enterprises?status=bogus&q=%00").status_code == 200


def test_an_enterprise_with_accounts_is_not_merged_away(client, login_as):
    login_as("admin")
    duplicate = consumer_entered()
    gen_cast(duplicate)
    real = gen_enterprise(credit_code="9144030071526726XG")
    db.session.commit()
    response = client.post(f"/admin/enterprises/{duplicate.id}/merge", data={"target_code": real.credit_code})
    assert response.status_code == 409
    assert "用户账户" in response.get_data(as_text=True)
