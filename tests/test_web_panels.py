"""The panel pages: the officer appoints (by choice or draw), experts work in their redacted workspace, parties ask
for recusals, administrators keep the pool; and a quality appeal goes from acceptance to its decision on the web."""

import io
import json

from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_user
from tracker import audit
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import Evidence
from tracker.models import ExpertProfile
from tracker.models import Message
from tracker.models import PanelMember
from tracker.models import Role
from tracker.models import SecurityEvent
from tracker.models import User
from tracker.models import utcnow
from tracker.services import panels
from tracker.workflow import fire


def switch_user(client, login_as, user):
    """Log out whoever is logged in, then log in as user."""
    client.post("/logout")
    login_as(user)


def page(response) -> str:
    return response.get_data(as_text=True)


def ids(users) -> list[int]:
    return [user.id for user in users]


def test_the_officer_sees_who_may_sit_and_why_the_others_may_not(client, login_as, make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    conflicted = gen_user(Role.EXPERT, display_name="冲突专家")
    panels.declare_conflict(db.session, conflicted, case.enterprise, "曾任该企业顾问", now=utcnow())
    login_as(cast.officer)
    html = page(client.get(f"/officer/cases/{case.number}/panel"))
    eligible = html[html.index('id="eligible-experts"'):html.index('id="excluded-heading"')]
    for expert in cast.experts:
        assert f'data-expert="{expert.id}"' in eligible
    excluded = html[html.index('id="excluded-experts"'):]
    assert f'data-expert="{conflicted.id}"' in excluded
    assert "已声明与该企业存在利益冲突" in excluded


def test_a_panel_of_two_is_refused_on_the_web_and_three_with_a_chair_are_appointed(client, login_as, make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    login_as(cast.officer)
    url = f"/officer/cases/{case.number}/panel/appoint"
    refused = client.post(url, data={"expert_ids": ids(cast.experts[:2]), "chair_id": cast.experts[0].id})
    assert refused.status_code == 422
    assert "专家组人数不符合规则要求" in page(refused)
    assert db.session.scalar(select(func.count()).select_from(PanelMember).where(PanelMember.case_id == case.id)) == 0
    no_chair = client.post(url, data={"expert_ids": ids(cast.experts)})
    assert no_chair.status_code == 422
    done = client.post(url, data={"expert_ids": ids(cast.experts), "chair_id": cast.experts[2].id})
    assert done.status_code == 302
    assert {m.expert_id for m in case.active_panel} == set(ids(cast.experts))
    assert next(m for m in case.active_panel if m.is_chair).expert_id == cast.experts[2].id
    form_panel = client.post(f"/cases/{case.number}/actions/form_panel", data={"version": case.version})
    assert form_panel.status_code == 302 and case.state == "investigation"


def test_a_draw_on_the_web_is_stored_with_its_seed_and_replays(client, login_as, make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    gen_user(Role.EXPERT)
    gen_user(Role.EXPERT)
    login_as(cast.officer)
    shown = client.post(f"/officer/cases/{case.number}/panel/draw", data={"count": 3, "specialty": ""})
    html = page(shown)
    assert shown.status_code == 200 and 'id="draw-result"' in html
    seed = int(html.split('name="draw_seed" value="')[1].split('"')[0])
    drawn = panels.propose_draw(db.session, case, 3, specialty="", seed=seed).drawn
    response = client.post(f"/officer/cases/{case.number}/panel/appoint", data={
        "expert_ids": list(drawn), "chair_id": drawn[0], "draw_seed": seed, "draw_count": 3, "specialty": ""})
    assert response.status_code == 302
    body = json.loads(db.session.scalars(select(AuditEvent.body).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "appoint_panel")).one())
    assert body["draw"]["seed"] == seed
    assert panels.replay_draw(body["draw"]) == tuple(body["draw"]["drawn"])


def test_only_officers_reach_the_panel_page(client, login_as, make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    login_as(cast.applicant)
    assert client.get(f"/officer/cases/{case.number}/panel").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(SecurityEvent).where(
        SecurityEvent.target == f"/officer/cases/{case.number}/panel")) == 1


def appraisal_with_panel(make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    panels.appoint_panel(db.session, case, cast.officer, ids(cast.experts), chair_id=cast.experts[0].id, now=utcnow())
    fire(case, "form_panel", cast.officer)
    db.session.flush()
    return case


def test_the_expert_reads_a_redacted_file_without_contact_details_or_identity_papers(
    client, login_as, make_case, cast
):
    case = appraisal_with_panel(make_case, cast)
    case.narrative = "本人张三，电话13812345678，住北京市海淀区中关村大街27号，壶底漏电。"
    case.contact_email = "zhangsan@example.com"
    case.contact_phone = "13912345678"
    cast.applicant.display_name = "张三"
    db.session.add(Message(case=case, author_id=cast.applicant.id, body="请打我电话13812345678", visibility="parties"))
    for purpose, name in (("evidence", "壶底照片.pdf"), ("power_of_attorney", "授权委托书.pdf")):
        db.session.add(Evidence(case=case, purpose=purpose, stored_name=f"ab/{'ab' * 32}.pdf", sha256="ab" * 32,
                                size=10, content_type="application/pdf", original_name=name))
    audit.record(db.session, case, actor=cast.applicant, action="attach_evidence", now=utcnow())
    db.session.flush()
    login_as(cast.experts[1])
    assert client.get(f"/cases/{case.number}").headers["Location"].endswith(f"/expert/cases/{case.number}")
    html = page(client.get(f"/expert/cases/{case.number}"))
    assert "本人〔姓名〕，电话〔电话号码〕，住〔地址〕，壶底漏电。" in html
    assert "请打我电话〔电话号码〕" in html
    for secret in ("13812345678", "13912345678", "zhangsan@example.com", "中关村大街", "张三"):
        assert secret not in html
    assert "壶底照片.pdf" in html and "授权委托书.pdf" not in html
    attorney = db.session.scalars(select(Evidence).where(Evidence.case_id == case.id,
                                                         Evidence.purpose == "power_of_attorney")).one()
    assert client.get(f"/evidence/{attorney.id}").status_code == 404


def test_an_expert_cannot_read_a_co_panelists_opinion_before_giving_their_own(client, login_as, make_case, cast):
    case = appraisal_with_panel(make_case, cast)
    panels.submit_opinion(db.session, case, cast.experts[0], findings="外壳绝缘不良", conclusion="首位专家的结论：不合格",
                          reasoning="依据GB 4706", now=utcnow())
    db.session.flush()
    login_as(cast.experts[1])
    before = page(client.get(f"/expert/cases/{case.number}"))
    assert "首位专家的结论" not in before and 'id="opinions-hidden"' in before
    given = client.post(f"/expert/cases/{case.number}/opinion", data={
        "findings": "温升超标", "conclusion": "第二位专家：不合格", "reasoning": "实测数据",
        "report": (io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), "第二位报告.pdf"),
    }, content_type="multipart/form-data")
    assert given.status_code == 302
    after = page(client.get(f"/expert/cases/{case.number}"))
    assert "首位专家的结论" in after and "第二位专家：不合格" in after and "第二位报告.pdf" in after


def test_an_opinion_report_that_is_not_a_pdf_is_refused_and_nothing_is_saved(client, login_as, make_case, cast):
    case = appraisal_with_panel(make_case, cast)
    login_as(cast.experts[0])
    refused = client.post(f"/expert/cases/{case.number}/opinion", data={
        "findings": "f", "conclusion": "c", "reasoning": "r", "report": (io.BytesIO(b"GIF89a..."), "x.gif"),
    }, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert case.active_panel[0].opinion is None


def test_a_declared_conflict_takes_the_expert_off_and_the_officer_replaces_them(client, login_as, make_case, cast):
    case = appraisal_with_panel(make_case, cast)
    leaving = cast.experts[1]
    login_as(leaving)
    response = client.post(f"/expert/cases/{case.number}/conflict", data={"reason": "配偶在该企业任职"})
    assert response.status_code == 302
    assert client.get(f"/expert/cases/{case.number}").status_code == 404
    switch_user(client, login_as, cast.officer)
    html = page(client.get(f"/officer/cases/{case.number}/panel"))
    assert "已声明与该企业存在利益冲突" in html
    replacement = gen_user(Role.EXPERT)
    done = client.post(f"/officer/cases/{case.number}/panel/appoint", data={"expert_ids": [replacement.id]})
    assert done.status_code == 302
    assert len(case.active_panel) == 3


def test_a_party_asks_for_a_recusal_and_the_officer_decides(client, login_as, make_case, cast):
    case = appraisal_with_panel(make_case, cast)
    member = case.active_panel[2]
    login_as(cast.enterprise_user)
    html = page(client.get(f"/cases/{case.number}"))
    assert member.expert.display_name in html and 'id="recusal-form"' in html
    empty = client.post(f"/cases/{case.number}/recusal-requests", data={"member_id": member.id, "reason": " "})
    assert empty.status_code == 422
    sent = client.post(f"/cases/{case.number}/recusal-requests",
                       data={"member_id": member.id, "reason": "该专家曾为竞争对手出具报告"})
    assert sent.status_code == 302
    switch_user(client, login_as, cast.officer)
    request = case.recusal_requests[0]
    assert "该专家曾为竞争对手出具报告" in page(client.get(f"/officer/cases/{case.number}/panel"))
    decided = client.post(f"/officer/cases/{case.number}/panel/recusals/{request.id}",
                          data={"decision": "grant", "reason": "理由成立"})
    assert decided.status_code == 302
    assert member.departure == "recused"


def test_a_quality_appeal_reaches_its_decision_through_the_web(client, login_as, make_case, cast):
    case = make_case("quality_appeal", state="accepted")
    chair, second, third = cast.experts
    login_as(cast.officer)
    assert client.post(f"/officer/cases/{case.number}/panel/appoint",
                       data={"expert_ids": ids(cast.experts), "chair_id": chair.id}).status_code == 302
    assert client.post(f"/cases/{case.number}/actions/start_expert_review",
                       data={"version": case.version}).status_code == 302
    for expert in cast.experts:
        switch_user(client, login_as, expert)
        assert client.post(f"/expert/cases/{case.number}/opinion", data={
            "findings": "原检验漏检项目", "conclusion": "原结论应变更", "reasoning": "复核数据"}).status_code == 302
    switch_user(client, login_as, chair)
    members = [m.id for m in case.active_panel]
    split = client.post(f"/expert/cases/{case.number}/conclusion", data={
        "conclusion": "变更原结论", "reasoning": "多数意见", "concurring": members[:2]})
    assert split.status_code == 422
    concluded = client.post(f"/expert/cases/{case.number}/conclusion", data={
        "conclusion": "变更原结论", "reasoning": "多数意见", "concurring": members[:2], "dissent": "一位专家认为维持"})
    assert concluded.status_code == 302
    switch_user(client, login_as, cast.officer)
    assert client.post(f"/cases/{case.number}/actions/complete_review",
                       data={"version": case.version}).status_code == 302
    assert client.post(f"/cases/{case.number}/actions/decide",
                       data={"version": case.version, "decision": "varied"}).status_code == 302
    assert (case.state, case.outcome) == ("decided", "varied")
    assert client.post(f"/cases/{case.number}/actions/close", data={"version": case.version}).status_code == 302
    assert case.state == "closed"


def test_the_expert_inbox_lists_assigned_reviews(client, login_as, make_case, cast):
    case = appraisal_with_panel(make_case, cast)
    login_as(cast.experts[0])
    html = page(client.get("/expert/"))
    assert f'data-case="{case.number}"' in html
    switch_user(client, login_as, cast.applicant)
    assert client.get("/expert/").status_code == 404


def test_the_administrator_adds_edits_and_deactivates_an_expert(client, login_as, cast):
    login_as(gen_user(Role.ADMIN))
    form = {"email": "new.expert@zhijian.example.cn", "password": "a long enough passphrase", "display_name": "新专家",
            "organisation": "国家质检中心", "specialties": ["household_appliances", "food"]}
    assert client.post("/admin/experts/new", data={**form, "specialties": []}).status_code == 422
    assert client.post("/admin/experts/new", data=form).status_code == 302
    user = db.session.scalars(select(User).where(User.email == "new.expert@zhijian.example.cn")).one()
    profile = user.expert_profile
    assert user.role == Role.EXPERT and profile.specialty_codes == {"household_appliances", "food"}
    assert "新专家" in page(client.get("/admin/experts"))
    assert client.post(f"/admin/experts/{profile.id}", data={**form, "organisation": "另一中心",
                                                              "specialties": ["food"]}).status_code == 302
    assert (profile.organisation, profile.specialty_codes) == ("另一中心", {"food"})
    assert client.post(f"/admin/experts/{profile.id}/active").status_code == 302
    assert db.session.get(ExpertProfile, profile.id).active is False
    switch_user(client, login_as, cast.officer)
    assert client.get("/admin/experts").status_code == 404


def test_the_officer_links_the_decision_appealed_and_its_panel_is_left_out(client, login_as, make_case, cast):
    decided = make_case("quality_appeal", state="decided")
    appeal = make_case("quality_appeal", state="accepted")
    login_as(cast.officer)
    unknown = client.post(f"/officer/cases/{appeal.number}/panel/appealed", data={"number": "SS-2026-999999"})
    assert unknown.status_code == 422 and "没有该编号的其他案件" in page(unknown)
    linked = client.post(f"/officer/cases/{appeal.number}/panel/appealed", data={"number": decided.number.lower()})
    assert linked.status_code == 302 and appeal.related_case is decided
    html = page(client.get(f"/officer/cases/{appeal.number}/panel"))
    excluded = html[html.index('id="excluded-experts"'):]
    for expert in cast.experts:
        assert f'data-expert="{expert.id}"' in excluded
    assert excluded.count('data-reason="appealed_decision"') == 3
    refused = client.post(f"/officer/cases/{appeal.number}/panel/appoint",
                          data={"expert_ids": ids(cast.experts), "chair_id": cast.experts[0].id})
    assert refused.status_code == 422 and "参与过被申诉的决定" in page(refused)
    assert client.post(f"/officer/cases/{appeal.number}/panel/appealed",
                       data={"number": decided.number}).status_code == 409


def test_an_opinion_report_is_served_only_to_those_who_may_read_the_opinion(
    client, login_as, make_case, cast, tmp_path, app, monkeypatch
):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    case = appraisal_with_panel(make_case, cast)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    opinion = panels.submit_opinion(db.session, case, cast.experts[0], findings="f", conclusion="c", reasoning="r",
                                    now=utcnow(), report=(io.BytesIO(pdf), "鉴定报告.pdf"), root=tmp_path)
    db.session.flush()
    url = f"/expert/opinions/{opinion.id}/report"
    login_as(cast.experts[1])
    assert client.get(url).status_code == 404
    switch_user(client, login_as, cast.applicant)
    assert client.get(url).status_code == 404
    switch_user(client, login_as, cast.officer)
    with client.get(url) as served:
        assert served.status_code == 200 and served.data == pdf
        assert "filename*=UTF-8''%E9%89%B4" in served.headers["Content-Disposition"]


def test_the_officer_changes_the_chair(client, login_as, make_case, cast):
    case = appraisal_with_panel(make_case, cast)
    new_chair = case.active_panel[1]
    login_as(cast.officer)
    assert client.post(f"/officer/cases/{case.number}/panel/chair", data={"member_id": new_chair.id}).status_code == 302
    assert [m.is_chair for m in case.active_panel] == [False, True, False]
    assert client.post(f"/officer/cases/{case.number}/panel/chair", data={"member_id": 2**31 - 1}).status_code == 422


def test_a_re_appraisal_panel_is_appointed_on_the_web_without_the_first_rounds_experts(
    client, login_as, make_case, cast
):
    case = make_case("appraisal", state="re_appraisal")
    first = set(json.loads(case.report_rounds[0].panel_expert_ids))
    fresh = [gen_user(Role.EXPERT) for _ in range(3)]
    login_as(cast.officer)
    shown = page(client.get(f"/officer/cases/{case.number}/panel"))
    for expert_id in first:
        excluded = shown.split(f'<li class="mb-2" data-expert="{expert_id}">')[1].split("</li>")[0]
        assert 'data-reason="earlier_round"' in excluded
    url = f"/officer/cases/{case.number}/panel/appoint"
    refused = client.post(url, data={"expert_ids": [*ids(fresh[:2]), min(first)], "chair_id": fresh[0].id})
    assert refused.status_code == 422
    assert not case.active_panel
    done = client.post(url, data={"expert_ids": ids(fresh), "chair_id": fresh[0].id})
    assert done.status_code == 302
    assert {member.expert_id for member in case.active_panel} == set(ids(fresh))
    assert {member.round_number for member in case.active_panel} == {2}
