"""Panels: who may sit and why not, the rule set's sizes, replayable draws, recusal, opinions and the conclusion."""

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import gen_case
from tests.factories import gen_user
from tracker import audit
from tracker.demo import DEMO_REPORT_PDF
from tracker.demo import drive
from tracker.demo import find_path
from tracker.evidence import EvidenceRejected
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import PanelRule
from tracker.models import Role
from tracker.models import utcnow
from tracker.services import experts
from tracker.services import inspections
from tracker.services import panels
from tracker.services.attachments import EvidencePolicy
from tracker.services.panels import PanelError
from tracker.workflow import GuardFailed
from tracker.workflow import fire


def more_experts(count: int) -> list:
    """Experts of the cast's specialty beyond the cast's three."""
    return [gen_user(Role.EXPERT) for _ in range(count)]


def ids(users) -> list[int]:
    return [user.id for user in users]


@pytest.mark.parametrize("kind", ["quality_appeal", "appraisal"])
def test_a_panel_of_two_is_refused(make_case, cast, kind):
    case = make_case(kind, state="accepted" if kind == "quality_appeal" else "panel_forming")
    two = cast.experts[:2]
    with pytest.raises(PanelError) as refused:
        panels.appoint_panel(db.session, case, cast.officer, ids(two), chair_id=two[0].id, now=utcnow())
    assert refused.value.code == "size"
    assert case.panel == []
    trigger = "start_expert_review" if kind == "quality_appeal" else "form_panel"
    with pytest.raises(GuardFailed):
        fire(case, trigger, cast.officer)


def test_a_panel_of_three_with_a_chair_lets_the_appraisal_start(make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    panels.appoint_panel(db.session, case, cast.officer, ids(cast.experts), chair_id=cast.experts[1].id, now=utcnow())
    assert [member.is_chair for member in case.active_panel] == [False, True, False]
    assert fire(case, "form_panel", cast.officer) == "investigation"


def test_the_panel_sizes_come_from_the_rule_set(make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    rule = db.session.scalars(
        select(PanelRule).where(PanelRule.rule_set_id == case.rule_set_id, PanelRule.kind == "appraisal")
    ).one()
    rule.min_size, rule.odd_size = 2, False
    db.session.flush()
    two = cast.experts[:2]
    panels.appoint_panel(db.session, case, cast.officer, ids(two), chair_id=two[0].id, now=utcnow())
    assert fire(case, "form_panel", cast.officer) == "investigation"


def test_an_expert_with_a_declared_conflict_is_listed_with_the_reason_and_refused(make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    conflicted = cast.experts[0]
    panels.declare_conflict(db.session, conflicted, case.enterprise, "曾为该企业提供咨询", now=utcnow())
    assessed = {candidate.expert.id: candidate for candidate in panels.assess_experts(db.session, case)}
    assert assessed[conflicted.id].reasons == ("declared_conflict",)
    assert conflicted not in panels.eligible_experts(db.session, case)
    with pytest.raises(PanelError) as refused:
        panels.appoint_panel(db.session, case, cast.officer, ids(cast.experts), chair_id=cast.experts[1].id,
                             now=utcnow())
    assert (refused.value.code, refused.value.expert_id) == ("not_eligible", conflicted.id)


def link(case, earlier, officer) -> None:
    """Record that a case grew from an earlier one (as filing an appeal against a decision does)."""
    case.related_case = earlier
    audit.record(db.session, case, actor=officer, action="link_case", body={"related": earlier.number}, now=utcnow())
    db.session.flush()


def test_automatic_conflicts_organisation_specialty_and_an_earlier_round(make_case, cast):
    case = make_case("quality_appeal", state="accepted")
    insider = gen_user(Role.EXPERT)
    insider.expert_profile.organisation = f" {case.enterprise.name} "
    food_expert = gen_user(Role.EXPERT)
    experts.update_profile(db.session, food_expert.expert_profile, display_name="食品专家", organisation="食品院",
                           specialty_codes=["food"], now=utcnow())
    retired = gen_user(Role.EXPERT)
    experts.set_active(retired.expert_profile, False, now=utcnow())
    link(case, make_case("appraisal", state="investigation"), cast.officer)
    reasons = {c.expert.id: c.reasons for c in panels.assess_experts(db.session, case)}
    assert reasons[insider.id] == ("same_organisation",)
    assert reasons[food_expert.id] == ("specialty",)
    assert reasons[retired.id] == ("inactive",)
    for expert in cast.experts:
        assert reasons[expert.id] == ("appealed_decision",)
    in_food = {c.expert.id: c.reasons for c in panels.assess_experts(db.session, case, specialty="food")}
    assert in_food[food_expert.id] == ()


def test_an_appeal_panel_excludes_everyone_in_the_decision_appealed(make_case, cast):
    decided = make_case("quality_appeal", state="decided")
    appeal = make_case("quality_appeal", state="accepted")
    link(appeal, decided, cast.officer)
    fresh = more_experts(3)
    eligible = panels.eligible_experts(db.session, appeal)
    assert set(ids(eligible)) == set(ids(fresh))
    with pytest.raises(PanelError):
        panels.appoint_panel(db.session, appeal, cast.officer, [cast.experts[0].id, *ids(fresh[:2])],
                             chair_id=fresh[0].id, now=utcnow())


def test_a_random_draw_replays_from_the_seed_stored_in_its_audit_event(make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    more_experts(4)
    draw = panels.propose_draw(db.session, case, 3)
    assert len(draw.pool) == 7
    panels.appoint_panel(db.session, case, cast.officer, draw.drawn, chair_id=draw.drawn[0], draw=draw, now=utcnow())
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "appoint_panel")
    ).one()
    stored = json.loads(event.body)["draw"]
    assert stored["seed"] == draw.seed
    assert panels.replay_draw(stored) == tuple(stored["drawn"]) == draw.drawn
    assert {member.expert_id for member in case.active_panel} == set(draw.drawn)
    other_seeds = {panels.draw_from(stored["pool"], 3, seed) for seed in range(40)}
    assert len(other_seeds) > 1


def test_a_draw_that_no_longer_matches_its_seed_is_refused(make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    more_experts(2)
    draw = panels.propose_draw(db.session, case, 3, seed=12345)
    others = [expert_id for expert_id in draw.pool if expert_id not in draw.drawn][:1]
    forged = panels.Draw(draw.seed, draw.pool, 3, (*draw.drawn[:2], *others))
    with pytest.raises(PanelError) as refused:
        panels.appoint_panel(db.session, case, cast.officer, forged.drawn, chair_id=forged.drawn[0], draw=forged,
                             now=utcnow())
    assert refused.value.code == "draw_changed"


def appraisal_under_investigation(make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    panels.appoint_panel(db.session, case, cast.officer, ids(cast.experts), chair_id=cast.experts[0].id, now=utcnow())
    fire(case, "form_panel", cast.officer)
    return case


def test_a_declined_seat_is_replaced_and_the_panel_stays_valid(make_case, cast):
    case = appraisal_under_investigation(make_case, cast)
    leaving = cast.experts[2]
    panels.decline_appointment(db.session, case, leaving, "出差无法参加", now=utcnow())
    assert len(case.active_panel) == 2
    with pytest.raises(GuardFailed):
        fire(case, "start_deliberation", cast.officer)
    with pytest.raises(PanelError):
        panels.appoint_panel(db.session, case, cast.officer, [leaving.id], chair_id=None, now=utcnow())
    replacement = more_experts(1)[0]
    panels.appoint_panel(db.session, case, cast.officer, [replacement.id], chair_id=None, now=utcnow())
    assert {m.expert_id for m in case.active_panel} == {cast.experts[0].id, cast.experts[1].id, replacement.id}
    actions = [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq))]
    assert actions[-2:] == ["decline_appointment", "appoint_panel"]


def test_declaring_a_conflict_takes_the_expert_off_the_enterprises_panels(make_case, cast):
    case = appraisal_under_investigation(make_case, cast)
    declaration, left = panels.declare_conflict(db.session, cast.experts[1], case.enterprise, "亲属在该企业任职",
                                                now=utcnow())
    assert left == [case]
    assert cast.experts[1].id not in {m.expert_id for m in case.active_panel}
    assert case.panel[1].departure == "conflict"


def test_a_party_asks_for_recusal_and_the_officer_grants_it(make_case, cast):
    case = appraisal_under_investigation(make_case, cast)
    member = case.active_panel[1]
    with pytest.raises(PanelError):
        panels.request_recusal(db.session, case, gen_user(Role.CONSUMER), member.id, "理由", now=utcnow())
    request = panels.request_recusal(db.session, case, cast.enterprise_user, member.id, "该专家曾公开评论本企业产品",
                                     now=utcnow())
    with pytest.raises(PanelError) as twice:
        panels.request_recusal(db.session, case, cast.applicant, member.id, "同上", now=utcnow())
    assert twice.value.code == "pending"
    db.session.flush()
    panels.decide_recusal(db.session, case, cast.officer, request.id, granted=True, reason="理由成立", now=utcnow())
    assert member.departure == "recused" and member not in case.active_panel


def give(case, expert, text="意见"):
    return panels.submit_opinion(db.session, case, expert, findings=f"{text}：发现", conclusion=f"{text}：结论",
                                 reasoning=f"{text}：理由", now=utcnow())


def test_an_expert_cannot_see_a_co_panelists_opinion_before_submitting_their_own(make_case, cast):
    case = appraisal_under_investigation(make_case, cast)
    first, second, third = cast.experts
    give(case, first, "第一位")
    assert [o.member.expert_id for o in panels.visible_opinions(case, second)] == []
    assert [o.member.expert_id for o in panels.visible_opinions(case, first)] == [first.id]
    give(case, second, "第二位")
    assert {o.member.expert_id for o in panels.visible_opinions(case, second)} == {first.id, second.id}
    assert [o.member.expert_id for o in panels.visible_opinions(case, third)] == []
    assert len(panels.visible_opinions(case, cast.officer)) == 2
    with pytest.raises(PanelError) as twice:
        give(case, first)
    assert twice.value.code == "opinion_given"


def test_an_opinion_report_must_be_a_pdf(make_case, cast, tmp_path):
    case = appraisal_under_investigation(make_case, cast)
    with pytest.raises(EvidenceRejected):
        panels.submit_opinion(db.session, case, cast.experts[0], findings="f", conclusion="c", reasoning="r",
                              now=utcnow(), report=(io.BytesIO(b"\xff\xd8\xff not really"), "a.jpg"), root=tmp_path)
    opinion = panels.submit_opinion(
        db.session, case, cast.experts[0], findings="f", conclusion="c", reasoning="r", now=utcnow(),
        report=(io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), "报告.pdf"), root=tmp_path,
    )
    assert opinion.report_original_name == "报告.pdf"
    assert (tmp_path / opinion.report_stored_name).is_file()


def test_the_chair_concludes_with_the_majority_and_the_dissent(make_case, cast, tmp_path):
    case = appraisal_under_investigation(make_case, cast)
    for expert in cast.experts:
        give(case, expert)
    fire(case, "start_deliberation", cast.officer)
    members = case.active_panel
    with pytest.raises(PanelError) as not_chair:
        panels.conclude_panel(db.session, case, cast.experts[1], conclusion="c", reasoning="r",
                              concurring_member_ids=[m.id for m in members], dissent=None, now=utcnow())
    assert not_chair.value.code == "not_chair"
    with pytest.raises(PanelError) as no_dissent:
        panels.conclude_panel(db.session, case, cast.experts[0], conclusion="c", reasoning="r",
                              concurring_member_ids=[members[0].id, members[1].id], dissent=None, now=utcnow())
    assert no_dissent.value.code == "dissent_missing"
    with pytest.raises(PanelError) as minority:
        panels.conclude_panel(db.session, case, cast.experts[0], conclusion="c", reasoning="r",
                              concurring_member_ids=[members[0].id], dissent="两位不同意", now=utcnow())
    assert minority.value.code == "no_majority"
    with pytest.raises(GuardFailed):
        fire(case, "issue_report", cast.officer)
    found = panels.conclude_panel(db.session, case, cast.experts[0], conclusion="不符合明示质量", reasoning="多数意见",
                                  concurring_member_ids=[members[0].id, members[1].id], dissent="第三位认为符合",
                                  now=utcnow())
    assert (found.majority_count, found.dissent_count, members[2].opinion.concurs) == (2, 1, False)
    inspections.upload_report(db.session, case, cast.officer, io.BytesIO(DEMO_REPORT_PDF), "报告.pdf",
                              reference="R-1", root=tmp_path, policy=EvidencePolicy(), now=utcnow())
    assert fire(case, "issue_report", cast.officer) == "objection_window"


def test_a_quality_appeal_reaches_its_decision(make_case, cast):
    case = make_case("quality_appeal", state="accepted")
    chair = cast.experts[1]
    with pytest.raises(GuardFailed):
        fire(case, "start_expert_review", cast.officer)
    panels.appoint_panel(db.session, case, cast.officer, ids(cast.experts), chair_id=chair.id, now=utcnow())
    fire(case, "start_expert_review", cast.officer)
    for expert in cast.experts:
        give(case, expert)
    with pytest.raises(GuardFailed):
        fire(case, "complete_review", cast.officer)
    panels.conclude_panel(db.session, case, chair, conclusion="原结论有误", reasoning="一致",
                          concurring_member_ids=[m.id for m in case.active_panel], dissent=None, now=utcnow())
    assert fire(case, "complete_review", cast.officer) == "decision_pending"
    assert fire(case, "decide", cast.officer, decision="overturned") == "decided"
    assert case.outcome == "overturned"
    assert fire(case, "close", cast.officer) == "closed"


def test_a_second_round_sits_without_the_first_rounds_members(make_case, cast):
    case = appraisal_under_investigation(make_case, cast)
    fresh = more_experts(3)
    first_round = [m.expert_id for m in case.active_panel]
    assert set(ids(panels.eligible_experts(db.session, case, exclude_ids=first_round))) == set(ids(fresh))
    panels.appoint_panel(db.session, case, cast.officer, ids(fresh), chair_id=fresh[0].id, round_number=2,
                         now=utcnow())
    assert case.panel_round == 2
    assert {m.expert_id for m in case.active_panel} == set(ids(fresh))


def test_only_an_officer_appoints(make_case, cast):
    case = make_case("appraisal", state="panel_forming")
    with pytest.raises(PanelError) as refused:
        panels.appoint_panel(db.session, case, cast.experts[0], ids(cast.experts), chair_id=cast.experts[0].id,
                             now=utcnow())
    assert refused.value.code == "not_officer"


def test_the_driver_walks_an_appraisal_past_the_panel_to_its_report(cast):
    case = gen_case(cast, "appraisal")
    drive(db.session, case, find_path("appraisal", "objection_window"), cast, start=case.filed_at,
          step=timedelta(days=1))
    assert case.state == "objection_window"
    assert case.panel_conclusions[0].majority_count == 3
