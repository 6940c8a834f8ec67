"""Filing online: each kind end to end, errors that keep what was typed, refused uploads, one case per submission."""

import io
import re
from datetime import timedelta
from html import escape

import pytest
from flask import url_for
from PIL import Image
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.factories import gen_case
from tests.factories import gen_enterprise
from tests.factories import gen_user
from tests.test_evidence_files import minimal_pdf
from tests.test_web_errors import separate_app
from tracker.extensions import db
from tracker.models import Case
from tracker.models import Enterprise
from tracker.models import Evidence
from tracker.models import FilingDraft
from tracker.models import OutboxMessage
from tracker.models import Representative
from tracker.models import Role
from tracker.models import utcnow
from tracker.security import access_code_matches
from tracker.services import filing
from tracker.web.filing import FILED_CASE_KEY
from tracker.working_days import local_date

TODAY = local_date(utcnow())
KINDS = ("complaint", "quality_appeal", "arbitration", "appraisal")
CASE_NUMBER = re.compile(r'id="case-number">([A-Z]{2}-\d{4}-\d{6})<')
ACCESS_CODE = re.compile(r'id="access-code">([A-Z0-9]{5}-[A-Z0-9]{5})<')


def jpeg_bytes(size=(48, 32)) -> bytes:
    """A small photo as a phone would send it."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def form_data(kind: str, enterprise: Enterprise | None, **overrides) -> dict:
    """A complete, valid filing of the kind, as the browser posts it."""
    data = {
        "action": "review",
        "enterprise_mode": "existing",
        "enterprise_id": str(enterprise.id) if enterprise is not None else "",
        "product_name": "电热水壶",
        "product_model": "KT-1720",
        "product_batch": "B20260201",
        "production_date": (TODAY - timedelta(days=90)).isoformat(),
        "purchase_date": (TODAY - timedelta(days=30)).isoformat(),
        "purchase_place": "线上旗舰店",
        "amount_paid": "199.50",
        "mark_code": "MK-0001-2026",
        "category": "household_appliances",
        "issue": "safety",
        "narrative": "使用一周后底座漏电，联系商家未获解决。",
        "consent_privacy": "y",
    }
    if kind == "complaint":
        data["remedy_sought"] = "退货退款"
    elif kind == "quality_appeal":
        data["appealed_decision"] = "某检验所 2026-0012 号检验报告"
    else:
        data["applicant_standing"] = "party"
        data["questions"] = "底座绝缘是否符合 GB 4706.1？"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def anonymous_contact(**overrides) -> dict:
    """The contact details a visitor without an account gives."""
    return {"contact_name": "张三", "contact_email": "zhangsan@example.com", "contact_phone": "", **overrides}


def files_under(root) -> list:
    """Every file below the upload folder."""
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def evidence_count() -> int:
    """Rows in the evidence table."""
    return db.session.scalar(select(func.count()).select_from(Evidence))


def draft_of(response) -> FilingDraft:
    """The draft a filing response redirected to or rendered the form of."""
    token = re.search(r"/file/(?:review/|[a-z_]+/)([A-Za-z0-9_-]{43})", response.location or response.get_data(as_text=True))
    return filing.find_draft(db.session, token.group(1))


def submit_and_confirm(client, review_location: str):
    """Open the review page, submit, and follow to the confirmation page."""
    review = client.get(review_location)
    assert review.status_code == 200, review.get_data(as_text=True)[:2000]
    token = review_location.rsplit("/", 1)[1]
    submitted = client.post(f"/file/submit/{token}")
    assert submitted.status_code == 302
    assert submitted.location.startswith("/file/done/")
    done = client.get(submitted.location)
    assert done.status_code == 200
    return done


@pytest.fixture
def uploads(app, monkeypatch, tmp_path):
    """An empty upload folder for this test."""
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(root))
    return root


@pytest.fixture
def enterprise(db_session):
    """A confirmed enterprise in the register."""
    return gen_enterprise(name="示例电器有限公司")


# --- each kind, end to end ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_consumer_files_each_kind_end_to_end(client, login_as, enterprise, uploads, kind):
    consumer = login_as("consumer")
    choice = client.get("/file").get_data(as_text=True)
    assert f'href="/file/{kind}"' in choice

    assert client.get(f"/file/{kind}").status_code == 200
    posted = client.post(
        f"/file/{kind}", data={**form_data(kind, enterprise), "evidence": [(io.BytesIO(jpeg_bytes()), "漏电.jpg")]}
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)[:3000]
    assert posted.location.startswith("/file/review/")

    review = client.get(posted.location).get_data(as_text=True)
    assert "示例电器有限公司" in review and "电热水壶" in review and "漏电.jpg" in review
    assert "家用电器" in review and "199.50" in review

    done = submit_and_confirm(client, posted.location).get_data(as_text=True)
    number = CASE_NUMBER.search(done).group(1)
    access_code = ACCESS_CODE.search(done).group(1)
    case = db.session.scalars(select(Case).where(Case.number == number)).one()
    assert case.kind == kind and case.state == "submitted"
    assert case.applicant_id == consumer.id and case.enterprise_id == enterprise.id
    assert access_code_matches(case.access_code_hash, access_code)
    assert case.consent_privacy_version == filing.PRIVACY_NOTICE_VERSION
    assert not case.consent_publish and not case.consent_forward_contact
    assert str(case.amount_paid) == "199.50" and case.purchase_date == TODAY - timedelta(days=30)
    assert [item.original_name for item in case.evidence] == ["漏电.jpg"]
    deadline = filing.first_deadline(case)
    assert deadline.due_on.isoformat() in done or deadline.calendar_pending
    assert f'href="/cases/{number}"' in done
    if kind == "quality_appeal":
        assert case.appealed_decision == "某检验所 2026-0012 号检验报告"
    if kind in ("arbitration", "appraisal"):
        assert case.applicant_standing == "party" and "GB 4706.1" in case.questions
    outbox = db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id)).all()
    assert [message.recipient for message in outbox] == [consumer.email]
    assert number in outbox[0].subject


def test_a_visitor_files_without_an_account_and_claims_the_case_later(client, enterprise, uploads):
    posted = client.post("/file/complaint", data={**form_data("complaint", enterprise), **anonymous_contact()})
    assert posted.status_code == 302, posted.get_data(as_text=True)[:3000]
    done = submit_and_confirm(client, posted.location).get_data(as_text=True)
    number = CASE_NUMBER.search(done).group(1)
    access_code = ACCESS_CODE.search(done).group(1)
    assert 'href="/track"' in done
    case = db.session.scalars(select(Case).where(Case.number == number)).one()
    assert case.applicant_id is None and case.contact_name == "张三"
    assert db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.case_id == case.id)).all() == [
        "zhangsan@example.com"
    ]

    registered = client.post(
        f"/register?next=/claim?number={number}",
        data={"email": "zhangsan@example.com", "display_name": "张三", "password": "kettle leaks current",
              "confirm": "kettle leaks current"},
    )
    assert registered.status_code == 302 and registered.location == f"/claim?number={number}"
    assert number in client.get(registered.location).get_data(as_text=True)
    claimed = client.post("/claim", data={"number": number, "access_code": access_code.lower()})
    assert claimed.status_code == 302 and claimed.location == f"/cases/{number}"
    assert case.applicant is not None and case.applicant.email == "zhangsan@example.com"
    assert client.get(claimed.location).status_code == 200


def test_a_visitor_must_say_how_to_reach_them(client, enterprise, uploads):
    response = client.post("/file/complaint", data={**form_data("complaint", enterprise), "contact_name": "张三"})
    assert response.status_code == 422
    assert "请留下电子邮箱或电话号码" in response.get_data(as_text=True)


# --- errors keep everything --------------------------------------------------------------------


def test_a_missing_field_rerenders_with_its_error_in_chinese_then_english_keeping_every_other_field(
    client, enterprise, uploads
):
    data = {**form_data("complaint", enterprise, narrative=""), **anonymous_contact(contact_phone="13800138000")}
    response = client.post("/file/complaint", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请描述事情经过。" in page
    assert 'id="narrative-errors"' in page
    for name in ("product_name", "product_model", "product_batch", "production_date", "purchase_date",
                 "purchase_place", "amount_paid", "mark_code", "contact_name", "contact_email", "contact_phone"):
        assert f'value="{escape(data[name])}"' in page, name
    assert "退货退款</textarea>" in page
    assert re.search(r'<option selected value="household_appliances">', page)
    assert re.search(r'<input checked[^>]*id="consent_privacy"', page)
    assert 'name="enterprise_id"' in page and 'checked' in page

    draft = draft_of(response)
    kept = filing.draft_data(draft)
    assert kept["product_model"] == "KT-1720" and kept["contact_phone"] == "13800138000"

    assert client.post("/language", data={"lang": "en", "next": "/file"}).status_code == 302
    again = client.post(f"/file/complaint/{draft.token}", data=data)
    assert again.status_code == 422
    english = again.get_data(as_text=True)
    assert "Describe what happened." in english and "请描述事情经过。" not in english
    assert 'value="KT-1720"' in english


def test_a_stored_draft_comes_back_with_everything_typed(client, enterprise, uploads):
    response = client.post("/file/appraisal", data=form_data("appraisal", enterprise, questions="", product_model="X-1"))
    assert response.status_code == 422
    draft = draft_of(response)
    page = client.get(f"/file/appraisal/{draft.token}").get_data(as_text=True)
    assert 'value="X-1"' in page and "is-invalid" not in page
    checked = client.get(f"/file/appraisal/{draft.token}?check=1")
    assert checked.status_code == 422 and "is-invalid" in checked.get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"purchase_date": (TODAY + timedelta(days=2)).isoformat()}, "purchase_date", "购买日期不能晚于今天。"),
        ({"production_date": (TODAY - timedelta(days=10)).isoformat()}, "production_date", "生产日期不能晚于购买日期。"),
        ({"purchase_date": "2026-02-30"}, "purchase_date", None),
        ({"amount_paid": "-1"}, "amount_paid", "金额不能为负数。"),
        ({"amount_paid": "12.345"}, "amount_paid", "最多保留两位小数"),
        ({"amount_paid": "NaN"}, "amount_paid", None),
        ({"narrative": "太短了"}, "narrative", None),
        ({"narrative": "长" * 5001}, "narrative", None),
        ({"category": "../../etc"}, "category", None),
        ({"enterprise_id": "999999"}, "enterprise_id", None),
        ({"consent_privacy": None}, "consent_privacy", "同意隐私声明"),
        ({"enterprise_mode": "new", "enterprise_name": "新开的小店", "enterprise_credit_code": "91330100ABCDEFGHIO"},
         "enterprise_credit_code", "18 位"),
        ({"enterprise_mode": "new", "enterprise_name": ""}, "enterprise_name", None),
    ],
)
def test_bad_input_is_a_422_with_the_error_at_its_field(client, login_as, enterprise, uploads, overrides, field, message):
    login_as("consumer")
    response = client.post("/file/complaint", data=form_data("complaint", enterprise, **overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-errors"' in page
    if message:
        assert message in page
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_new_enterprise_waits_for_an_officer_to_confirm_it(client, login_as, uploads):
    login_as("consumer")
    data = form_data("complaint", None, enterprise_mode="new", enterprise_name="新开的小店",
                     enterprise_credit_code="91330100abcdefgh1x", enterprise_address="杭州市")
    posted = client.post("/file/complaint", data=data)
    assert posted.status_code == 302, posted.get_data(as_text=True)[:3000]
    assert "待承办人核实" in client.get(posted.location).get_data(as_text=True)
    done = submit_and_confirm(client, posted.location).get_data(as_text=True)
    case = db.session.scalars(select(Case).where(Case.number == CASE_NUMBER.search(done).group(1))).one()
    assert case.enterprise.name == "新开的小店" and case.enterprise.credit_code == "91330100ABCDEFGH1X"
    assert not case.enterprise.confirmed


def test_the_enterprise_search_answers_json_and_works_without_javascript(client, enterprise, uploads):
    gen_enterprise(name="另一家公司", confirmed=False)
    found = client.get("/file/enterprises", query_string={"q": "示例电器"})
    assert found.is_json
    assert found.get_json() == [{"id": enterprise.id, "name": "示例电器有限公司", "credit_code": enterprise.credit_code}]
    assert client.get("/file/enterprises", query_string={"q": "另一家"}).get_json() == []

    searched = client.post("/file/complaint", data=form_data("complaint", None, action="search",
                                                            enterprise_query="示例", enterprise_id=None))
    assert searched.status_code == 200
    page = searched.get_data(as_text=True)
    assert f'value="{enterprise.id}"' in page and "示例电器有限公司" in page and "is-invalid" not in page


def test_the_consent_boxes_start_unticked(client):
    page = client.get("/file/complaint").get_data(as_text=True)
    for name in ("consent_privacy", "consent_forward_contact", "consent_publish"):
        tag = re.search(rf'<input[^>]*id="{name}"[^>]*>', page).group(0)
        assert "checked" not in tag


def test_representatives_need_a_power_of_attorney_and_are_filed_with_it(client, login_as, enterprise, uploads):
    login_as("consumer")
    data = form_data("complaint", enterprise, **{"representatives-0-name": "李律师", "representatives-0-phone": "010-12345678"})
    refused = client.post("/file/complaint", data=data)
    assert refused.status_code == 422
    assert 'id="representatives-0-power_of_attorney-errors"' in refused.get_data(as_text=True)
    draft = draft_of(refused)

    with_power = {**data, "representatives-0-power_of_attorney": (io.BytesIO(minimal_pdf()), "委托书.pdf")}
    posted = client.post(f"/file/complaint/{draft.token}", data=with_power)
    assert posted.status_code == 302, posted.get_data(as_text=True)[:3000]
    done = submit_and_confirm(client, posted.location).get_data(as_text=True)
    case = db.session.scalars(select(Case).where(Case.number == CASE_NUMBER.search(done).group(1))).one()
    representative = db.session.scalars(select(Representative).where(Representative.case_id == case.id)).one()
    assert representative.name == "李律师" and representative.phone == "010-12345678"
    assert representative.power_of_attorney.original_name == "委托书.pdf"
    assert representative.power_of_attorney.purpose == "power_of_attorney"
    assert representative.power_of_attorney.case_id == case.id


# --- evidence ----------------------------------------------------------------------------------

#: A per-file limit small enough that the test client keeps the request in memory (64 KiB).
SMALL_FILE_LIMIT = 64 * 1024
HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
SVG_IMAGE = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


@pytest.mark.parametrize(
    ("content", "name", "status", "message"),
    [
        pytest.param(b"MZ\x90\x00" + b"\x00" * 200, "photo.jpg", 422, "PDF", id="exe-named-jpg"),
        pytest.param(SVG_IMAGE, "x.png", 422, "PDF", id="svg-named-png"),
        pytest.param(HTML_PAGE, "y.jpg", 422, "PDF", id="html-named-jpg"),
        pytest.param(jpeg_bytes(), "../../etc/passwd.jpg", 422, "文件名", id="path-like-name"),
        pytest.param(b"%PDF-" + b"\x00" * (SMALL_FILE_LIMIT - 4), "big.pdf", 413, "0.0625 MB", id="over-the-limit"),
    ],
)
def test_a_refused_upload_leaves_no_file_and_no_row(
    app, client, login_as, monkeypatch, enterprise, uploads, content, name, status, message
):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_FILE_BYTES", SMALL_FILE_LIMIT)
    login_as("consumer")
    response = client.post(
        "/file/complaint", data={**form_data("complaint", enterprise), "evidence": [(io.BytesIO(content), name)]}
    )
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert escape(name) in page and message in page
    assert 'id="evidence-errors"' in page
    assert files_under(uploads) == []
    assert evidence_count() == 0
    draft = draft_of(response)
    assert filing.draft_data(draft)["product_name"] == "电热水壶"


def test_valid_files_are_kept_while_other_fields_are_corrected(client, login_as, enterprise, uploads):
    login_as("consumer")
    data = {**form_data("complaint", enterprise, narrative=""),
            "evidence": [(io.BytesIO(jpeg_bytes()), "good.jpg"), (io.BytesIO(HTML_PAGE), "bad.jpg")]}
    response = client.post("/file/complaint", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "good.jpg" in page and "bad.jpg" in page
    draft = draft_of(response)
    assert [item.original_name for item in draft.evidence] == ["good.jpg"]
    assert len(files_under(uploads)) == 1

    removed = client.post(f"/file/complaint/{draft.token}",
                          data={**form_data("complaint", enterprise, narrative="又补充了一些情况说明"),
                                "remove_file": str(draft.evidence[0].id)})
    assert removed.status_code == 302 and removed.location == f"/file/complaint/{draft.token}"
    page = client.get(removed.location).get_data(as_text=True)
    assert "good.jpg" not in page and "又补充了一些情况说明" in page
    assert evidence_count() == 0


def test_a_chinese_file_name_survives_the_round_trip(app, client, login_as, enterprise, uploads):
    login_as("consumer")
    posted = client.post(
        "/file/complaint",
        data={**form_data("complaint", enterprise), "evidence": [(io.BytesIO(minimal_pdf()), "质检报告.pdf")]},
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)[:3000]
    done = submit_and_confirm(client, posted.location).get_data(as_text=True)
    case = db.session.scalars(select(Case).where(Case.number == CASE_NUMBER.search(done).group(1))).one()
    stored = case.evidence[0]
    assert stored.original_name == "质检报告.pdf"
    assert (uploads / stored.stored_name).read_bytes() == minimal_pdf()
    assert "质检报告" not in stored.stored_name
    with app.test_request_context():
        url = url_for("evidence.download", evidence_id=stored.id)
    download = client.get(url)
    assert download.status_code == 200
    assert download.get_data() == minimal_pdf()
    assert "filename*=UTF-8''%E8%B4%A8%E6%A3%80%E6%8A%A5%E5%91%8A.pdf" in download.headers["Content-Disposition"]
    download.close()


def test_a_request_over_the_whole_limit_is_a_clear_413(app, client, monkeypatch, uploads):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    response = client.post("/file/complaint", data={"evidence": [(io.BytesIO(b"\xff" * 8192), "big.jpg")]})
    assert response.status_code == 413
    assert "一次提交的文件总计超过" in response.get_data(as_text=True)
    assert files_under(uploads) == []


# --- review and submission ---------------------------------------------------------------------


def test_submitting_twice_files_one_case_and_shows_the_same_confirmation(client, login_as, enterprise, uploads):
    login_as("consumer")
    posted = client.post("/file/complaint", data=form_data("complaint", enterprise))
    token = posted.location.rsplit("/", 1)[1]
    first = client.post(f"/file/submit/{token}")
    second = client.post(f"/file/submit/{token}")
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.submission_token == token)) == 1
    page = client.get(second.location).get_data(as_text=True)
    assert ACCESS_CODE.search(page)
    assert client.get(f"/file/review/{token}").location == second.location
    assert client.get(f"/file/complaint/{token}").location == second.location


def test_the_confirmation_says_so_when_the_first_deadline_is_still_pending(client, login_as, enterprise, uploads):
    login_as("consumer")
    posted = client.post("/file/complaint", data=form_data("complaint", enterprise))
    done = submit_and_confirm(client, posted.location)
    number = CASE_NUMBER.search(done.get_data(as_text=True)).group(1)
    deadline = filing.first_deadline(db.session.scalars(select(Case).where(Case.number == number)).one())
    deadline.calendar_pending, deadline.due_on = True, None
    db.session.flush()
    page = client.get(f"/file/done/{number}").get_data(as_text=True)
    assert "具体日期待定" in page


def test_a_submission_that_loses_a_race_lands_on_the_winners_case(client, login_as, enterprise, uploads, monkeypatch):
    login_as("consumer")
    token = client.post("/file/complaint", data=form_data("complaint", enterprise)).location.rsplit("/", 1)[1]
    really_submit = filing.submit_draft

    def concurrent_winner(session, draft, applicant, **options):
        """Another request files the same draft and commits first; this one's INSERT then collides."""
        really_submit(session, draft, applicant, **options)
        session.commit()
        raise IntegrityError("INSERT INTO cases", {}, Exception("duplicate key: submission_token"))

    monkeypatch.setattr(filing, "submit_draft", concurrent_winner)
    response = client.post(f"/file/submit/{token}")
    case = db.session.scalars(select(Case).where(Case.submission_token == token)).one()
    assert response.status_code == 302 and response.location == f"/file/done/{case.number}"


def test_a_collision_that_files_nothing_asks_to_submit_again(client, login_as, enterprise, uploads, monkeypatch):
    login_as("consumer")
    token = client.post("/file/complaint", data=form_data("complaint", enterprise)).location.rsplit("/", 1)[1]

    def collide(session, draft, applicant, **options):
        """Two consumers enter the same new enterprise at the same moment."""
        raise IntegrityError("INSERT INTO enterprises", {}, Exception("duplicate key: credit_code"))

    monkeypatch.setattr(filing, "submit_draft", collide)
    response = client.post(f"/file/submit/{token}")
    assert response.status_code == 302 and response.location == f"/file/review/{token}"
    assert "请重新提交" in client.get(response.location).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_visitor_who_lost_the_confirmation_can_get_a_new_access_code(client, enterprise, uploads):
    posted = client.post("/file/complaint", data={**form_data("complaint", enterprise), **anonymous_contact()})
    done = submit_and_confirm(client, posted.location)
    first_code = ACCESS_CODE.search(done.get_data(as_text=True)).group(1)
    with client.session_transaction() as session:
        number = session.pop(FILED_CASE_KEY)["number"]
    page = client.get(f"/file/done/{number}").get_data(as_text=True)
    assert not ACCESS_CODE.search(page)
    reissued = client.post(f"/file/done/{number}/access-code")
    assert reissued.status_code == 302
    new_code = ACCESS_CODE.search(client.get(reissued.location).get_data(as_text=True)).group(1)
    case = db.session.scalars(select(Case).where(Case.number == number)).one()
    assert access_code_matches(case.access_code_hash, new_code)
    assert not access_code_matches(case.access_code_hash, first_code)


def test_the_review_hints_at_an_open_case_about_the_same_product(client, login_as, cast, uploads):
    existing = gen_case(cast, "complaint")
    login_as(cast.applicant)
    data = form_data("complaint", cast.enterprise_user.enterprise, product_name=existing.product_name)
    posted = client.post("/file/complaint", data=data)
    page = client.get(posted.location).get_data(as_text=True)
    assert 'id="similar-cases"' in page and existing.number in page


def test_a_draft_changed_after_review_is_checked_again_before_filing(client, login_as, enterprise, uploads):
    login_as("consumer")
    posted = client.post("/file/complaint", data=form_data("complaint", enterprise))
    token = posted.location.rsplit("/", 1)[1]
    client.post(f"/file/complaint/{token}", data=form_data("complaint", enterprise, narrative=""))
    response = client.post(f"/file/submit/{token}")
    assert response.status_code == 302 and response.location == f"/file/complaint/{token}?check=1"
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_only_the_owner_may_see_or_change_a_draft(app, client, login_as, enterprise, uploads):
    owner = login_as("consumer")
    posted = client.post("/file/complaint", data=form_data("complaint", enterprise))
    token = posted.location.rsplit("/", 1)[1]
    client.post("/logout")
    stranger = gen_user(Role.CONSUMER)
    for who in (None, stranger):
        if who is not None:
            login_as(who)
        assert client.get(f"/file/complaint/{token}").status_code == 404
        assert client.post(f"/file/complaint/{token}", data=form_data("complaint", enterprise)).status_code == 404
        assert client.get(f"/file/review/{token}").status_code == 404
        assert client.post(f"/file/submit/{token}").status_code == 404
    client.post("/logout")
    login_as(owner)
    done = client.post(f"/file/submit/{token}").location
    client.post("/logout")
    login_as(stranger)
    assert client.get(done).status_code == 404
    assert client.get(f"/file/quality_appeal/{token}").status_code == 404


def test_staff_and_enterprises_do_not_file_here(client, login_as):
    login_as("officer")
    assert client.get("/file/complaint").status_code == 403


def test_an_unknown_kind_is_a_404(client):
    assert client.get("/file/lawsuit").status_code == 404


def test_the_filing_forms_need_a_csrf_token(app):
    with separate_app(app, WTF_CSRF_ENABLED=True) as protected:
        browser = protected.test_client()
        refused = browser.post("/file/complaint", data={"product_name": "x"})
        assert refused.status_code == 400
        assert browser.post("/file/submit/whatever").status_code == 400
        page = browser.get("/file/complaint").get_data(as_text=True)
        assert 'name="csrf_token"' in page
