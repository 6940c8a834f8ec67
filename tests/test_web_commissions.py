"""The commission, inspection records, report rounds and inspection bodies from the web, as each user sees them."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import gen_user
from tracker.demo import DEMO_REPORT_PDF
from tracker.extensions import db
from tracker.models import CaseKind
from tracker.models import InspectionBody
from tracker.models import Role
from tracker.models import SecurityEvent
from tracker.models import User
from tracker.models import utcnow
from tracker.working_days import local_date


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """A fresh upload folder for the test."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


def switch_user(client, login_as, user):
    client.post("/logout")
    login_as(user)


def act(client, case, trigger: str, **data):
    return client.post(f"/cases/{case.number}/actions/{trigger}", data={"version": case.version, **data})


def new_body(name: str) -> InspectionBody:
    found = InspectionBody(name=name, accreditation_scope="家用电器安全")
    db.session.add(found)
    db.session.flush()
    return found


def commission_form(**changes) -> dict:
    today = local_date(utcnow())
    form = {
        "product_name": "电热水壶", "product_model": "KT-1720", "product_grade": "合格品", "maker": "示例电器有限公司",
        "production_date": "2026-01-15", "batch": "20260115", "applicant_name": "张三",
        "basis_kind": "standard", "basis_text": "GB 4706.1-2005", "test_items": "泄漏电流；电气强度",
        "sampling_method": "随机抽取2件，双方到场封样", "report_due_on": (today + timedelta(days=30)).isoformat(),
        "fee_amount": "1800.00", "fee_payer": "applicant", "fee_due_on": (today + timedelta(days=7)).isoformat(),
    }
    form.update(changes)
    return form


def agree(client, login_as, case, cast) -> None:
    """Officer drafts, both parties confirm from the case page, the officer starts the work."""
    switch_user(client, login_as, cast.officer)
    assert client.post(f"/officer/cases/{case.number}/commission", data=commission_form()).status_code == 302
    for party in (cast.applicant, cast.enterprise_user):
        switch_user(client, login_as, party)
        page = client.get(f"/cases/{case.number}").get_data(as_text=True)
        assert 'id="confirm-commission"' in page
        response = client.post(f"/cases/{case.number}/commission/confirm", data={"revision": 1})
        assert response.status_code == 302
        assert 'id="confirm-commission"' not in client.get(f"/cases/{case.number}").get_data(as_text=True)
    switch_user(client, login_as, cast.officer)
    db.session.refresh(case)
    assert act(client, case, "agree_commission").status_code == 302


def upload_report(client, case, name="检验报告.pdf", content=DEMO_REPORT_PDF):
    return client.post(
        f"/officer/cases/{case.number}/inspection/report",
        data={"reference": "RPT-001", "report_file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_no_work_starts_from_the_web_until_both_parties_have_confirmed(client, login_as, make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="commission_pending")
    login_as(cast.officer)
    assert client.post(f"/officer/cases/{case.number}/commission", data=commission_form()).status_code == 302
    db.session.refresh(case)
    refused = act(client, case, "agree_commission")
    assert refused.status_code == 422
    assert "双方当事人确认委托书后方可开始工作。" in refused.get_data(as_text=True)

    switch_user(client, login_as, cast.applicant)
    assert client.post(f"/cases/{case.number}/commission/confirm", data={"revision": 1}).status_code == 302
    switch_user(client, login_as, cast.officer)
    db.session.refresh(case)
    assert act(client, case, "agree_commission").status_code == 422
    db.session.refresh(case)
    assert case.state == "commission_pending"


def test_a_changed_commission_must_be_confirmed_again(client, login_as, make_case, cast):
    case = make_case(CaseKind.APPRAISAL, state="commission_pending")
    login_as(cast.officer)
    client.post(f"/officer/cases/{case.number}/commission", data=commission_form())
    switch_user(client, login_as, cast.applicant)
    client.post(f"/cases/{case.number}/commission/confirm", data={"revision": 1})
    switch_user(client, login_as, cast.officer)
    assert client.post(f"/officer/cases/{case.number}/commission",
                       data=commission_form(fee_amount="2600.00")).status_code == 302
    switch_user(client, login_as, cast.enterprise_user)
    stale = client.post(f"/cases/{case.number}/commission/confirm", data={"revision": 1})
    assert stale.status_code == 409
    assert "委托书在您打开页面后已被修改" in stale.get_data(as_text=True)
    db.session.refresh(case)
    assert case.commission.consumer_confirmed_at is None and case.commission.revision == 2


def test_a_commission_with_a_past_report_date_is_refused_with_the_reason(client, login_as, make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="commission_pending")
    login_as(cast.officer)
    response = client.post(f"/officer/cases/{case.number}/commission",
                           data=commission_form(report_due_on="2020-01-01", basis_kind="whatever"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "报告日期须晚于今天。" in page
    db.session.refresh(case)
    assert case.commission is None


def test_parties_and_experts_cannot_open_the_officers_inspection_pages(client, login_as, make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="sampling")
    login_as(cast.applicant)
    for path in ("commission", "inspection"):
        assert client.get(f"/officer/cases/{case.number}/{path}").status_code == 404
    assert client.post(f"/officer/cases/{case.number}/inspection/sampling", data={}).status_code == 404
    logged = db.session.scalars(select(SecurityEvent).where(SecurityEvent.user_id == cast.applicant.id)).all()
    assert len(logged) >= 3


def test_an_arbitration_inspection_runs_with_an_objection_and_a_second_round_from_the_web(
    client, login_as, make_case, cast, uploads
):
    case = make_case(CaseKind.ARBITRATION, state="commission_pending")
    first_body, second_body = new_body("第一检验所"), new_body("第二检验所")
    agree(client, login_as, case, cast)
    today = local_date(utcnow()).isoformat()

    page = client.get(f"/officer/cases/{case.number}/inspection").get_data(as_text=True)
    assert "第一检验所" in page
    assert client.post(f"/officer/cases/{case.number}/inspection/body",
                       data={"body_id": first_body.id}).status_code == 302
    sampled = client.post(f"/officer/cases/{case.number}/inspection/sampling", data={
        "sampled_on": today, "place": "申请人住所", "quantity": "2", "seal_numbers": "FY-1, FY-2",
        "present": "承办人、申请人、企业代表"})
    assert sampled.status_code == 302
    db.session.refresh(case)
    assert case.state == "inspection"
    sampling = case.sampling_records[0]
    now_local = (utcnow() + timedelta(hours=8) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/officer/cases/{case.number}/inspection/custody", data={
        "sampling_id": sampling.id, "step": "received", "handled_by": "检验员赵某", "occurred_at": now_local,
    }).status_code == 302
    out_of_order = client.post(f"/officer/cases/{case.number}/inspection/custody", data={
        "sampling_id": sampling.id, "step": "received", "handled_by": "检验员赵某", "occurred_at": now_local})
    assert out_of_order.status_code == 409

    not_pdf = upload_report(client, case, name="报告.txt", content=b"plain text")
    assert not_pdf.status_code in (415, 422)
    assert upload_report(client, case).status_code == 302
    db.session.refresh(case)
    assert act(client, case, "issue_report").status_code == 302

    switch_user(client, login_as, cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "检验报告.pdf" in page and 'id="objection-until"' in page
    db.session.refresh(case)
    assert act(client, case, "raise_objection", reason="样品封存不当").status_code == 302

    switch_user(client, login_as, cast.officer)
    reused = client.post(f"/officer/cases/{case.number}/inspection/body", data={"body_id": first_body.id})
    assert reused.status_code == 409
    assert "该机构承担过前一轮检验" in reused.get_data(as_text=True)
    assert client.post(f"/officer/cases/{case.number}/inspection/body",
                       data={"body_id": second_body.id}).status_code == 302
    assert upload_report(client, case, content=DEMO_REPORT_PDF + b"\n").status_code == 302
    fee = client.post(f"/officer/cases/{case.number}/inspection/fee", data={
        "round_number": 2, "amount": "2400.00", "paid_by": "enterprise", "paid_on": today})
    assert fee.status_code == 302
    db.session.refresh(case)
    assert act(client, case, "issue_final_report").status_code == 302
    db.session.refresh(case)
    assert case.state == "final"
    first, second = case.report_rounds
    assert (second.previous_round_id, second.inspection_body_id) == (first.id, second_body.id)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "第二检验所" in page and "¥2400.00" in page and "样品封存不当" in page


def test_an_inspection_bodys_staff_see_their_bodys_cases_only_and_redacted(client, login_as, make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="inspection",
                     filing={"narrative": "电水壶底座漏电，样品由申请人寄送，联系电话13812345678。"})
    body = case.report_rounds[0].inspection_body
    staff = gen_user(Role.EXPERT)
    staff.inspection_body_id = body.id
    other = gen_user(Role.EXPERT)
    other.inspection_body_id = new_body("别的检验所").id
    db.session.flush()
    login_as(staff)
    page = client.get(f"/cases/{case.number}")
    assert page.status_code == 200
    assert "〔电话号码〕" in page.get_data(as_text=True) and "13812345678" not in page.get_data(as_text=True)
    assert case.number in client.get("/").get_data(as_text=True)
    switch_user(client, login_as, other)
    assert client.get(f"/cases/{case.number}").status_code == 404
    assert case.number not in client.get("/").get_data(as_text=True)


def test_an_administrator_adds_a_body_and_its_staff(client, login_as):
    login_as(gen_user(Role.ADMIN))
    expert = gen_user(Role.EXPERT)
    response = client.post("/admin/bodies", data={
        "name": "国家电器检验中心", "accreditation_number": "CNAS L1234", "accreditation_scope": "家用电器安全"})
    assert response.status_code == 302
    body = db.session.scalars(select(InspectionBody).where(InspectionBody.name == "国家电器检验中心")).one()
    assert client.post("/admin/bodies/staff", data={"body_id": body.id, "email": expert.email}).status_code == 302
    assert db.session.get(User, expert.id).inspection_body_id == body.id
    duplicate = client.post("/admin/bodies", data={"name": "国家电器检验中心", "accreditation_scope": "x"})
    assert duplicate.status_code == 409
    not_expert = client.post("/admin/bodies/staff", data={"body_id": body.id, "email": "nobody@example.test"})
    assert not_expert.status_code == 422
    assert "国家电器检验中心" in client.get("/admin/bodies").get_data(as_text=True)
    renamed = client.post("/admin/bodies/edit", data={"body_id": body.id, "name": "国家电器检验中心（北京）",
                                                     "accreditation_scope": "家用电器安全；电磁兼容"})
    assert renamed.status_code == 302
    assert db.session.get(InspectionBody, body.id).name == "国家电器检验中心（北京）"
    assert client.post("/admin/bodies/edit", data={"body_id": "99999999999", "name": "x",
                                                   "accreditation_scope": "x"}).status_code == 404


def test_only_administrators_open_the_bodies_page(client, login_as):
    login_as(gen_user(Role.OFFICER))
    assert client.get("/admin/bodies").status_code == 404


def test_the_officer_records_a_later_service_date_and_a_future_one_is_refused(client, login_as, make_case, cast):
    case = make_case(CaseKind.APPRAISAL, state="objection_window")
    issued = case.report_rounds[-1].issued_on
    login_as(cast.officer)
    page = client.get(f"/officer/cases/{case.number}/inspection").get_data(as_text=True)
    assert 'id="service-form"' in page
    future = client.post(f"/officer/cases/{case.number}/inspection/service",
                         data={"served_on": (local_date(utcnow()) + timedelta(days=2)).isoformat()})
    assert future.status_code == 422
    assert "该日期晚于今天。" in future.get_data(as_text=True)
    served = min(issued + timedelta(days=2), local_date(utcnow()))
    response = client.post(f"/officer/cases/{case.number}/inspection/service", data={"served_on": served.isoformat()})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.report_rounds[-1].served_on == served
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert f'id="objection-until">{(served + timedelta(days=15)).isoformat()}<' in page


def test_the_bodys_staff_log_custody_and_upload_the_report_of_their_round_only(
    client, login_as, make_case, cast, uploads
):
    case = make_case(CaseKind.ARBITRATION, state="inspection")
    body = case.report_rounds[0].inspection_body
    staff = gen_user(Role.EXPERT)
    staff.inspection_body_id = body.id
    db.session.flush()
    login_as(staff)
    assert case.number in client.get("/expert/inspections").get_data(as_text=True)
    assert "我的检验机构承担的本轮样品和报告" in client.get(f"/cases/{case.number}").get_data(as_text=True)
    sampling = case.sampling_records[0]
    moment = (utcnow() + timedelta(hours=8) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    logged = client.post(f"/expert/cases/{case.number}/inspection/custody", data={
        "sampling_id": sampling.id, "step": "received", "handled_by": "检验员赵某", "occurred_at": moment})
    assert logged.status_code == 302
    uploaded = client.post(f"/expert/cases/{case.number}/inspection/report",
                           data={"reference": "JY-1", "report_file": (io.BytesIO(DEMO_REPORT_PDF), "报告.pdf")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302
    db.session.refresh(case)
    assert case.report_rounds[0].report_file.uploaded_by_id == staff.id
    assert [entry.step for entry in sampling.custody] == ["received"]

    other = gen_user(Role.EXPERT)
    other.inspection_body_id = new_body("别的检验所").id
    db.session.flush()
    switch_user(client, login_as, other)
    assert client.get(f"/expert/cases/{case.number}/inspection").status_code == 404
    assert client.post(f"/expert/cases/{case.number}/inspection/custody", data={}).status_code == 404
    switch_user(client, login_as, gen_user(Role.EXPERT))
    assert client.get("/expert/inspections").status_code == 404


def test_the_first_rounds_body_no_longer_works_on_the_second_round(client, login_as, make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="re_inspection")
    staff = gen_user(Role.EXPERT)
    staff.inspection_body_id = case.report_rounds[0].inspection_body_id
    db.session.flush()
    login_as(staff)
    assert client.get(f"/cases/{case.number}").status_code == 200
    assert client.get(f"/expert/cases/{case.number}/inspection").status_code == 404


def test_an_objection_on_day_16_after_service_is_refused_on_the_case_page(client, login_as, make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="objection_window")
    today = local_date(utcnow())
    case.report_rounds[-1].served_on = today - timedelta(days=16)
    db.session.flush()
    login_as(cast.applicant)
    late = act(client, case, "raise_objection", reason="报告结论有误")
    assert late.status_code == 422
    assert "报告异议期已届满。" in late.get_data(as_text=True)
    db.session.refresh(case)
    assert case.state == "objection_window" and case.report_rounds[-1].objection_at is None
    case.report_rounds[-1].served_on = today - timedelta(days=15)
    db.session.flush()
    assert act(client, case, "raise_objection", reason="报告结论有误").status_code == 302
