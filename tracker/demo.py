"""Demo data, and the driver that walks a case along its table (the demo and the tests both use it)."""

import io
import secrets
import tempfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import deadlines
from tracker import workflow
from tracker.models import Alert
from tracker.models import CalendarDay
from tracker.models import CalendarYear
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.models import InspectionBody
from tracker.models import NonWorkingDayReceipt
from tracker.models import OutboxMessage
from tracker.models import ReplyTemplate
from tracker.models import Role
from tracker.models import RuleSet
from tracker.models import SecurityEvent
from tracker.models import User
from tracker.models import utcnow
from tracker.notifications import MAX_ATTEMPTS
from tracker.panel_rules import current_conclusion
from tracker.panel_rules import panel_rule_for
from tracker.services import accounts
from tracker.services import answers
from tracker.services import assignment
from tracker.services import cases
from tracker.services import commissions
from tracker.services import experts
from tracker.services import inspections
from tracker.services import invitations
from tracker.services import mediation
from tracker.services import panels
from tracker.services import triage
from tracker.services.attachments import EvidencePolicy
from tracker.services.calendar_years import package_covers
from tracker.services.enterprises import credit_code_check_character
from tracker.workflow.guards import current_round
from tracker.workflow.tables import INITIAL_STATE
from tracker.workflow.tables import TABLES
from tracker.workflow.tables import Row
from tracker.working_days import LOCAL_TIMEZONE
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date

DEMO_DOMAIN = "demo.example.cn"


def find_path(kind: CaseKind, target: str) -> list[Row]:
    """The shortest sequence of rows from submission to the target state."""
    queue: deque[tuple[str, list[Row]]] = deque([(INITIAL_STATE, [])])
    seen = {INITIAL_STATE}
    while queue:
        state, path = queue.popleft()
        if state == target:
            return path
        for row in TABLES[kind]:
            if state in row.sources and row.dest not in seen:
                seen.add(row.dest)
                queue.append((row.dest, [*path, row]))
    raise ValueError(f"{target} is not reachable in {kind}")


def data_for(row: Row, today: date) -> dict[str, Any]:
    """Form data that satisfies every data guard of the row."""
    data: dict[str, Any] = {}
    for guard in row.guards:
        if guard == "reason_given":
            data["reason"] = "演示：说明理由 / demo reason"
        elif guard == "refusal_code_valid":
            data["refusal_code"] = "materials_missing"
        elif guard == "settlement_outcome_valid":
            data["outcome"] = "refund"
        elif guard == "appeal_decision_valid":
            data["decision"] = "varied"
        elif guard == "explanation_given":
            data["explanation"] = "演示：说明不予受理的理由 / demo explanation"
        elif guard == "missing_items_given":
            data["missing_items"] = "购买发票\n产品照片"
        elif guard == "reply_date_valid":
            data["reply_by"] = today + timedelta(days=10)
        elif guard == "termination_ground_valid":
            data["termination_ground"] = "no_agreement"
        elif guard == "agreement_terms_given":
            data["terms"] = "演示：企业退货退款 / demo terms"
            data["amount"] = Decimal("299.00")
            data["perform_by"] = today + timedelta(days=15)
    return data


@dataclass
class Cast:
    """The people a driven case needs: one per role, and a pool of experts for panels."""

    officer: User
    applicant: User
    enterprise_user: User
    experts: list[User]
    extra: dict[str, Any] = field(default_factory=dict)

    def actor_for(self, row: Row, case: Case) -> User:
        """Who fires this row: the applicant before the enterprise, an expert on the panel."""
        if Role.OFFICER in row.roles:
            return self.officer
        if Role.CONSUMER in row.roles:
            return self.applicant
        if Role.ENTERPRISE in row.roles:
            return self.enterprise_user
        on_panel = {member.expert_id for member in case.active_panel}
        return next(expert for expert in self.experts if expert.id in on_panel)


def prepare_for(session: Session, case: Case, row: Row, cast: Cast, now: datetime) -> datetime:
    """Arrange what situational guards need (commission, samples, report, panel); returns the time to act at."""
    prepare_inspection(session, case, row, cast, now)
    prepare_panel(session, case, row, cast, now)
    if "original_chosen" in row.guards and case.merged_into is None:
        original, _code = cases.submit_case(
            session, case.applicant or cast.applicant, CaseKind(case.kind),
            filing_data(cast.enterprise_user.enterprise, CaseKind(case.kind), case.id), now=now,
        )
        triage.mark_duplicate(session, case, original, cast.officer, now=now)
    if "objection_window_elapsed" in row.guards:
        now = now + timedelta(days=case.rule_set.objection_days + 1)
    return now


PANEL_GUARDS = frozenset({"panel_is_valid", "panel_has_expert", "actor_on_panel", "actor_is_chair"})


def prepare_panel(session: Session, case: Case, row: Row, cast: Cast, now: datetime) -> None:
    """A panel of the cast's experts (the first chairs), their opinions and the chair's conclusion, as the row needs."""
    guards = set(row.guards)
    if guards & PANEL_GUARDS and not case.active_panel:
        wanted = panel_rule_for(case).min_size
        eligible = {expert.id for expert in panels.eligible_experts(session, case, specialty="")}
        if sum(expert.id in eligible for expert in cast.experts) < wanted:
            _add_fresh_experts(session, cast, eligible, wanted, now)
            eligible = {expert.id for expert in panels.eligible_experts(session, case, specialty="")}
        chosen = [expert.id for expert in cast.experts if expert.id in eligible][:wanted]
        panels.appoint_panel(session, case, cast.officer, chosen, chair_id=chosen[0], specialty="", now=now)
    if guards & {"panel_opinions_complete", "panel_concluded"}:
        give_opinions(session, case, now)
    if "panel_concluded" in guards and current_conclusion(case) is None:
        chair = next(member for member in case.active_panel if member.is_chair)
        panels.conclude_panel(
            session, case, chair.expert, conclusion="演示：专家组结论 / demo panel conclusion",
            reasoning="演示：多数意见 / demo majority", concurring_member_ids=[m.id for m in case.active_panel],
            dissent=None, now=now,
        )


def give_opinions(session: Session, case: Case, now: datetime) -> None:
    """Every member of the current panel who has not yet given an opinion gives one."""
    for member in case.active_panel:
        if member.opinion is None:
            panels.submit_opinion(
                session, case, member.expert, findings="演示：检验发现 / demo findings",
                conclusion="演示：产品不符合标准 / demo conclusion", reasoning="演示：理由 / demo reasoning", now=now,
            )


#: A one-page PDF such as an inspection body issues, small enough for the demo and the tests.
DEMO_REPORT_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def commission_terms_for(case: Case, today: date) -> commissions.CommissionTerms:
    """A commission such as an officer would draft for this case."""
    return commissions.CommissionTerms(
        product_name=case.product_name, product_model=case.product_model, product_grade="合格品",
        maker=case.enterprise.name if case.enterprise else "生产者", production_date=date(2026, 1, 15),
        batch=case.product_batch, applicant_name=case.applicant.display_name if case.applicant else "申请人",
        basis_kind="standard", basis_text="GB 4706.1-2005 家用和类似用途电器的安全 通用要求",
        test_items="泄漏电流；电气强度；外壳耐热", sampling_method="在申请人处随机抽取2件，双方到场封样",
        report_due_on=today + timedelta(days=30), fee_amount=Decimal("1800.00"), fee_payer="applicant",
        fee_due_on=today + timedelta(days=7),
    )


def demo_body(session: Session, number: int) -> InspectionBody:
    """One of the demo's inspection bodies, created on first use."""
    names = ("国家家用电器质量检验检测中心（示范）", "省产品质量监督检验研究院（示范）", "市质量技术检测所（示范）")
    name = names[number % 3]
    body = session.scalars(select(InspectionBody).where(InspectionBody.name == name)).first()
    if body is None:
        body = InspectionBody(name=name, accreditation_number=f"CNAS L{1000 + number}",
                              accreditation_scope="家用电器安全与性能；儿童用品；纺织品")
        session.add(body)
        session.flush()
    return body


def prepare_inspection(session: Session, case: Case, row: Row, cast: Cast, now: datetime) -> None:
    """Arrange the commission, body, samples and report file that an inspection or appraisal row needs."""
    today = local_date(now)
    guards = set(row.guards)
    if "commission_confirmed_by_both" in guards and case.commission is None:
        commissions.save_commission(session, case, cast.officer, commission_terms_for(case, today), now=now)
        for party in (cast.applicant, cast.enterprise_user):
            commissions.confirm_commission(session, case, party, revision=case.commission.revision, now=now)
    if {"inspection_body_assigned", "round_body_is_new"} & guards:
        report_round = current_round(case)
        if report_round.inspection_body_id is None:
            inspections.assign_body(session, case, cast.officer, demo_body(session, report_round.number), now=now)
    if "sampling_recorded" in guards and not case.sampling_records:
        inspections.add_sampling_record(session, case, cast.officer, inspections.SamplingDetails(
            sampled_on=today, place="申请人住所", quantity=2, seal_numbers=f"FY-{case.id:05d}-1, FY-{case.id:05d}-2",
            present="承办人、申请人、企业代表"), now=now)
    if "report_file_uploaded" in guards and current_round(case).report_evidence_id is None:
        root = Path(cast.extra.get("upload_root") or Path(tempfile.gettempdir()) / "tracker-demo-uploads")
        inspections.upload_report(
            session, case, cast.officer, io.BytesIO(DEMO_REPORT_PDF), "检验报告.pdf",
            reference=f"RPT-{today:%Y%m%d}-{case.id}", root=root, policy=EvidencePolicy(), now=now,
        )


def _add_fresh_experts(session: Session, cast: Cast, eligible: set[int], wanted: int, now: datetime) -> None:
    """A new round needs experts who sat on no earlier panel: add accounts until `wanted` such are free."""
    while sum(expert.id in eligible for expert in cast.experts) < wanted:
        number = len(cast.experts) + 1
        expert = accounts.create_user(
            session, PasswordHasher(), email=f"expert{number}.{secrets.token_hex(4)}@{DEMO_DOMAIN}",
            password=_password(), role=Role.EXPERT, display_name=f"专家{number}", specialty="家用电器安全",
        )
        experts.attach_profile(session, expert, organisation=f"示范检验研究院{number}",
                               specialty_codes=("household_appliances",), now=now)
        session.flush()
        eligible.add(expert.id)
        cast.experts.append(expert)


def drive(
    session: Session,
    case: Case,
    rows: list[Row],
    cast: Cast,
    *,
    start: datetime,
    step: timedelta = timedelta(days=1),
    on_step: Callable[[Case, Row], None] | None = None,
) -> datetime:
    """Fire the rows in order with plausible actors and data, a step apart in time; returns the last time."""
    now = start
    for row in rows:
        now = prepare_for(session, case, row, cast, now + step)
        actor = cast.actor_for(row, case)
        workflow.fire(case, row.trigger, actor, now=now, **data_for(row, local_date(now)))
        session.flush()
        if on_step is not None:
            on_step(case, row)
    return now


def filing_data(enterprise: Enterprise, kind: CaseKind, index: int) -> dict[str, Any]:
    """A believable filing for the demo and the tests."""
    products = [
        ("电热水壶", "KT-1720", "漏电、外壳变形"),
        ("儿童自行车", "BX-12", "车架焊点断裂"),
        ("空气净化器", "AP-300", "滤网异味，净化效果与宣传不符"),
        ("羽绒服", "YR-2025", "含绒量低于标签标示"),
    ]
    name, model, problem = products[index % len(products)]
    return {
        "enterprise_id": enterprise.id,
        "product_name": name,
        "product_model": model,
        "product_batch": f"2026{index:04d}",
        "purchase_date": date(2026, 3, 1) + timedelta(days=index),
        "purchase_place": "线上旗舰店",
        "amount_paid": Decimal("299.00") + index,
        "category": "household_appliances",
        "issue": "safety",
        "narrative": f"{problem}。购买后不久出现问题，联系商家未获解决。",
        "remedy_sought": "退货退款并赔偿损失",
        "consent_privacy_version": "2026-01",
        "consent_forward_contact": True,
        "consent_publish": index % 2 == 0,
    }


def _password() -> str:
    return secrets.token_urlsafe(9)


def load(
    session: Session, hasher: PasswordHasher, *, now: datetime | None = None, upload_root: Path | None = None
) -> list[tuple[str, str, str]] | None:
    """Create the demo accounts and cases unless they exist; returns (role, e-mail, password) rows."""
    if session.scalars(select(User).where(User.email == f"admin@{DEMO_DOMAIN}")).first() is not None:
        return None
    now = now or utcnow()
    enterprise = Enterprise(
        name="示例电器有限公司",
        credit_code="91110000MA00DEMO1X",
        address="北京市海淀区示例路1号",
        contact_name="王经理",
        contact_phone="010-00000000",
        contact_email=f"service@{DEMO_DOMAIN}",
        confirmed=True,
    )
    session.add(enterprise)
    logins: list[tuple[str, str, str]] = []

    def account(role: Role, local: str, name: str, **extra: Any) -> User:
        password = _password()
        user = accounts.create_user(
            session, hasher, email=f"{local}@{DEMO_DOMAIN}", password=password, role=role, display_name=name, **extra
        )
        logins.append((str(role), user.email, password))
        return user

    account(Role.ADMIN, "admin", "系统管理员")
    officer = account(Role.OFFICER, "officer", "李承办")
    consumer = account(Role.CONSUMER, "consumer", "张消费者")
    enterprise_user = account(Role.ENTERPRISE, "enterprise", "王经理", enterprise=enterprise)
    laboratory = account(Role.EXPERT, "lab", "检验员赵工", specialty="电气安全检验")
    second_panel = second_round_experts(session, account, now)
    experts = expert_pool(session, account, enterprise, now)
    session.flush()
    laboratory.inspection_body_id = demo_body(session, 1).id
    cast = Cast(officer=officer, applicant=consumer, enterprise_user=enterprise_user,
                experts=[*experts, *second_panel], extra={"upload_root": upload_root})
    index = 0
    for kind in CaseKind:
        for target in workflow.states_of(kind):
            rows = find_path(kind, target)
            waits_for_objections = any("objection_window_elapsed" in row.guards for row in rows)
            filed_at = now - timedelta(days=12 + 2 * len(rows) + 17 * waits_for_objections)
            case, _code = cases.submit_case(session, consumer, kind, filing_data(enterprise, kind, index), now=filed_at)
            session.flush()
            # A report waiting for objections was served three days ago: its window is still open.
            in_window = bool(rows) and "objection" in rows[-1].start
            step = (now - timedelta(days=3) - filed_at) / len(rows) if in_window else timedelta(days=1)
            drive(session, case, rows, cast, start=filed_at, step=step)
            index += 1
    # Listed before the first officer, so that a lookup of the logins by role still finds 李承办.
    logins[:0] = load_workspace(session, hasher, cast, enterprise, now=now, first_index=index)
    load_officer_work(session, cast, enterprise, now=now)
    load_panel_cases(session, cast, enterprise, now=now)
    load_enterprise_portal(session, cast, enterprise, now=now, account=account)
    load_administration(session, cast, now=now)
    load_inspection_steps(session, cast, enterprise, now=now, first_index=index + 10)
    deadlines.sweep_overdue(session, now=now)
    return logins


def _filing_day_due_soon(calendar: WorkingCalendar, today: date, length: int) -> date:
    """A recent filing day whose clock of `length` working days falls due within the next two working days."""
    latest_due = calendar.add_working_days(today, 2)
    day = today
    while not today <= calendar.add_working_days(day, length) <= latest_due:
        day -= timedelta(days=1)
    return day


def load_workspace(
    session: Session, hasher: PasswordHasher, cast: Cast, enterprise: Enterprise, *, now: datetime, first_index: int
) -> list[tuple[str, str, str]]:
    """A second officer holding some cases (so reassignment can be tried) and a case due within two working days."""
    password = _password()
    second = accounts.create_user(
        session, hasher, email=f"officer2@{DEMO_DOMAIN}", password=password, role=Role.OFFICER, display_name="陈承办"
    )
    session.flush()
    calendar = WorkingCalendar.from_session(session)
    filed_on = _filing_day_due_soon(calendar, local_date(now), _acceptance_length(session, now))
    # In UTC like every stored time: the audit hash is computed over the time as given.
    filed_at = datetime.combine(filed_on, time(9, 30), tzinfo=LOCAL_TIMEZONE).astimezone(UTC)
    filing = filing_data(enterprise, CaseKind.COMPLAINT, first_index)
    case, _code = cases.submit_case(session, cast.applicant, CaseKind.COMPLAINT, filing, now=filed_at)
    session.flush()
    drive(session, case, find_path(CaseKind.COMPLAINT, "under_review"), cast, start=filed_at, step=timedelta(hours=1))
    handed_over = session.scalars(
        select(Case).where(
            Case.assigned_officer_id == cast.officer.id, Case.state.in_(("mediation", "enterprise_response"))
        )
    ).all()
    assignment.assign_cases(session, list(handed_over), second, cast.officer, reason="演示：分担工作量", now=now)
    return [(str(Role.OFFICER), second.email, password)]


def _acceptance_length(session: Session, now: datetime) -> int:
    """Working days to decide on acceptance under the rule set in force now."""
    return deadlines.rule_set_in_force(session, local_date(now)).acceptance_working_days
#: Products of the demo cases that show the officer's triage and mediation (the browser tests find them by name).
TRIAGE_DEMO_PRODUCT = "演示·待分流电饭煲"
SESSION_DEMO_PRODUCT = "演示·待排期调解的洗衣机"
AGREEMENT_DEMO_PRODUCT = "演示·待记录协议的微波炉"
EXPIRED_MEDIATION_DEMO_PRODUCT = "演示·调解期限已满的热水器"

#: Reply templates an administrator would keep: (code, title zh, title en, text zh, text en).
DEMO_REPLY_TEMPLATES = [
    ("ask_invoice", "请补充购买凭证", "Please send proof of purchase",
     "您好，为受理您的投诉，请上传购买发票或订单截图。",
     "Hello, to accept your complaint we need the invoice or a screenshot of the order."),
    ("mediation_invite", "调解邀请", "Invitation to mediation",
     "您好，我们拟安排双方进行调解，请告知您方便的时间。",
     "Hello, we plan a mediation session with both parties; please tell us when you are available."),
    ("closing_thanks", "结案告知", "Case closed",
     "您好，本案已办结。感谢您的配合，欢迎对办理情况进行评价。",
     "Hello, your case is closed. Thank you; you are welcome to rate how it was handled."),
]


def load_officer_work(session: Session, cast: Cast, enterprise: Enterprise, *, now: datetime) -> None:
    """Cases that show triage and mediation: a refusal explained, linked cases, sessions, an expired mediation.

    They are filed earlier than the cases of every state above, so that the first case of a state in a list
    stays the one it was.
    """
    applicant = cast.applicant
    officer_cast = cast

    def complaint(product: str, target: str, days_ago: int, index: int) -> Case:
        data = {**filing_data(enterprise, CaseKind.COMPLAINT, index), "product_name": product}
        filed_at = now - timedelta(days=days_ago)
        case, _code = cases.submit_case(session, applicant, CaseKind.COMPLAINT, data, now=filed_at)
        session.flush()
        drive(session, case, find_path(CaseKind.COMPLAINT, target), officer_cast, start=filed_at)
        return case

    triage_case = complaint(TRIAGE_DEMO_PRODUCT, "under_review", 70, 101)
    complaint(TRIAGE_DEMO_PRODUCT, "under_review", 69, 102)
    refused = complaint("演示·超过时效的电暖器", "under_review", 68, 103)
    workflow.fire(refused, "refuse", cast.officer, now=now - timedelta(days=60), refusal_code="time_barred",
                  explanation="您于2021年购买该产品，至今已超过三年，依照投诉规则第十五条不予受理；可向人民法院起诉。")
    session.flush()
    related = complaint("演示·同批次电饭煲", "submitted", 67, 104)
    triage.link_cases(session, triage_case, related.number, cast.officer, now=now - timedelta(days=60))

    scheduled = complaint(SESSION_DEMO_PRODUCT, "mediation", 40, 105)
    held = mediation.schedule_session(session, scheduled, cast.officer, mediation.SessionPlan(
        starts_at=now - timedelta(days=20), mode="remote", mediator=cast.officer,
        participants="张消费者；王经理（示例电器有限公司）", link="https://meeting.example.cn/r/302"),
        now=now - timedelta(days=25))
    mediation.record_minutes(session, held, cast.officer, "双方陈述意见，企业同意检测后再议。", "progress",
                             now=now - timedelta(days=19))
    mediation.schedule_session(session, scheduled, cast.officer, mediation.SessionPlan(
        starts_at=now + timedelta(days=5), mode="on_site", mediator=cast.officer,
        participants="张消费者；王经理（示例电器有限公司）", place="示例市消费者权益保护调解室 302"),
        now=now - timedelta(days=1))
    complaint(AGREEMENT_DEMO_PRODUCT, "mediation", 39, 106)
    complaint(AGREEMENT_DEMO_PRODUCT, "mediation", 38, 107)
    complaint(EXPIRED_MEDIATION_DEMO_PRODUCT, "mediation", 200, 108)
    for code, title_zh, title_en, body_zh, body_en in DEMO_REPLY_TEMPLATES:
        session.add(ReplyTemplate(code=code, title_zh=title_zh, title_en=title_en, body_zh=body_zh, body_en=body_en))
    session.flush()
#: The pool's extra experts (e-mail local part, name, organisation, specialties); the cast's three come after them.
EXTRA_EXPERTS = [
    ("expert4", "赵工程师", "国家儿童用品质量检验检测中心", ("children", "other_products")),
    ("expert5", "钱研究员", "示例电器有限公司", ("household_appliances",)),
    ("expert6", "孙教授", "华东理工大学", ("household_appliances", "electronics")),
]
CAST_EXPERT_ORGANISATIONS = ("中国家用电器研究院", "国家电器产品质量检验检测中心", "清华大学电机工程系")


def second_round_experts(session: Session, account: Callable[..., User], now: datetime) -> list[User]:
    """Three experts who sit on the second panels that objections to appraisal reports open."""
    second = []
    for number in (7, 8, 9):
        expert = account(Role.EXPERT, f"expert{number}", f"专家{number}", specialty="家用电器安全")
        experts.attach_profile(session, expert, organisation=f"省产品质量研究所{number}",
                               specialty_codes=("household_appliances",), now=now)
        second.append(expert)
    return second


def expert_pool(session: Session, account: Callable[..., User], enterprise: Enterprise, now: datetime) -> list[User]:
    """Six experts with specialties and organisations: one works for the demo enterprise, one declared a conflict.

    Returns the three who sit on the demo panels (created last, so that the demo's "expert" login is one of them).
    """
    extra = []
    for local, name, organisation, codes in EXTRA_EXPERTS:
        expert = account(Role.EXPERT, local, name)
        experts.attach_profile(session, expert, organisation=organisation, specialty_codes=codes, now=now)
        extra.append(expert)
    session.flush()
    panels.declare_conflict(session, extra[2], enterprise, "曾为该企业提供有偿技术咨询", now=now)
    cast_experts = []
    for number, organisation in enumerate(CAST_EXPERT_ORGANISATIONS, start=1):
        expert = account(Role.EXPERT, f"expert{number}", f"专家{number}", specialty="家用电器安全")
        experts.attach_profile(
            session, expert, organisation=organisation, specialty_codes=("household_appliances",), now=now
        )
        cast_experts.append(expert)
    return cast_experts


def load_panel_cases(session: Session, cast: Cast, enterprise: Enterprise, *, now: datetime) -> None:
    """A complaint and a quality appeal whose opinions are all in, waiting for the chair's conclusion; an appraisal
    whose member declined, and one with a recusal request, both waiting for the officer.

    The walk over every state already leaves each kind waiting at panel appointment (mediation, accepted,
    panel_forming), at opinions (expert_review, investigation) and, for an appraisal, at the conclusion
    (deliberation).
    """
    for offset, kind in enumerate((CaseKind.COMPLAINT, CaseKind.QUALITY_APPEAL)):
        rows = find_path(kind, "expert_review")
        filed_at = now - timedelta(days=12 + 2 * len(rows))
        case, _code = cases.submit_case(session, cast.applicant, kind, filing_data(enterprise, kind, 90 + offset),
                                        now=filed_at)
        session.flush()
        ended = drive(session, case, rows, cast, start=filed_at)
        give_opinions(session, case, ended + timedelta(hours=1))
    # Appraisals under investigation whose panel needs the officer: a member declined (a replacement is due),
    # and the consumer asked for a member's recusal.
    for offset, situation in enumerate(("declined", "recusal_requested")):
        rows = find_path(CaseKind.APPRAISAL, "investigation")
        filed_at = now - timedelta(days=12 + 2 * len(rows))
        case, _code = cases.submit_case(session, cast.applicant, CaseKind.APPRAISAL,
                                        filing_data(enterprise, CaseKind.APPRAISAL, 92 + offset), now=filed_at)
        session.flush()
        ended = drive(session, case, rows, cast, start=filed_at)
        member = next(member for member in case.active_panel if not member.is_chair)
        if situation == "declined":
            panels.decline_appointment(session, case, member.expert, "演示：近三个月出国访学，无法按期完成",
                                       now=ended + timedelta(hours=1))
        else:
            panels.request_recusal(session, case, cast.applicant, member.id, "演示：该专家曾公开评价本案产品",
                                   now=ended + timedelta(hours=1))
def load_enterprise_portal(
    session: Session, cast: Cast, enterprise: Enterprise, *, now: datetime, account: Callable[..., User]
) -> None:
    """The demo enterprise's inbox: cases waiting (one overdue), answers on time and late, a proposal awaiting
    the consumer, a colleague, and a pending invitation; the consumer gave no consent to forward contacts.

    The colleague is listed with the other logins and, coming last, is the "enterprise" login of the browser tests.
    """
    colleague = account(Role.ENTERPRISE, "enterprise2", "赵客服", enterprise=enterprise)
    waiting_rows = find_path(CaseKind.COMPLAINT, "enterprise_response")

    def complaint(index: int, days_ago: int) -> Case:
        data = filing_data(enterprise, CaseKind.COMPLAINT, index)
        data.update(contact_name="张消费者", contact_phone="13812341234", consent_forward_contact=False)
        filed_at = now - timedelta(days=days_ago)
        case, _code = cases.submit_case(session, cast.applicant, CaseKind.COMPLAINT, data, now=filed_at)
        session.flush()
        drive(session, case, waiting_rows, cast, start=filed_at)
        return case

    complaint(200, days_ago=3)
    complaint(201, days_ago=40)
    answered = complaint(202, days_ago=4)
    answers.answer_case(
        session, answered, colleague,
        answers.AnswerData("explanation", "经检测，产品符合国家标准；已向消费者说明正确使用方法。",
                           public_response="我们已与消费者沟通并说明了使用方法。"),
        now=now - timedelta(hours=5),
    )
    late = complaint(203, days_ago=35)
    answers.answer_case(
        session, late, cast.enterprise_user,
        answers.AnswerData("repair", "同意免费维修，请将产品寄回售后中心。"), now=now - timedelta(hours=3),
    )
    proposed = complaint(204, days_ago=5)
    answers.answer_case(
        session, proposed, cast.enterprise_user,
        answers.AnswerData("refund", "同意退货退款。", settlement_terms="全额退款并承担退货运费",
                           settlement_amount=Decimal("503.00"), settlement_due_on=local_date(now) + timedelta(days=7)),
        now=now - timedelta(hours=1),
    )
    invitations.invite(
        session, cast.enterprise_user, email=f"new.colleague@{DEMO_DOMAIN}", role=Role.ENTERPRISE,
        enterprise=enterprise, now=now, link_for=lambda token: f"http://127.0.0.1:5000/invitations/{token}",
    )
    session.flush()
def _anonymous_filing(session: Session, enterprise: Enterprise, index: int, now: datetime) -> Case:
    """A complaint filed without an account, so the demo consumer's own list stays as it was."""
    data = {**filing_data(enterprise, CaseKind.COMPLAINT, index), "contact_name": "赵女士",
            "contact_email": f"zhao{index}@{DEMO_DOMAIN}", "contact_phone": "13900139000"}
    case, _code = cases.submit_case(session, None, CaseKind.COMPLAINT, data, now=now)
    return case


def load_administration(session: Session, cast: Cast, *, now: datetime) -> None:
    """What the administration pages act on: enterprises to confirm or merge, a future rule set, a draft year,
    alerts, a failed message and some security events."""
    consumer, enterprise_user = cast.applicant, cast.enterprise_user
    new_shop = Enterprise(
        name="新开数码商行", credit_code="91440300MA5DXK301" + credit_code_check_character("91440300MA5DXK301"),
        address="深圳市南山区示例街2号", confirmed=False,
    )
    duplicate = Enterprise(name="示例电器公司", address="北京市海淀区示例路1号", confirmed=False)
    session.add_all([new_shop, duplicate])
    session.flush()
    _anonymous_filing(session, new_shop, 101, now - timedelta(days=1))
    _anonymous_filing(session, duplicate, 102, now - timedelta(days=2))

    current = deadlines.rule_set_in_force(session, local_date(now))
    effective = local_date(now) + timedelta(days=120)
    session.add(RuleSet(
        code=f"order-{effective.year}", name="新规（示例）：投诉处理新办法", effective_from=effective,
        acceptance_working_days=current.acceptance_working_days,
        enterprise_response_working_days=current.enterprise_response_working_days,
        mediation_working_days=current.mediation_working_days,
        mediation_notice_working_days=current.mediation_notice_working_days,
        objection_days=current.objection_days, reopen_window_days=current.reopen_window_days,
        non_working_day_receipt=NonWorkingDayReceipt.NEXT_WORKING_DAY_IS_DAY_ZERO, source="示例数据",
    ))

    # The first year the calendar package does not know: a draft, and a case whose deadline waits for it.
    year = next(candidate for candidate in range(now.year, now.year + 10) if not package_covers(candidate))
    session.add(CalendarYear(year=year, complete=False, note="国务院办公厅通知发布后补全"))
    session.flush()
    session.add(CalendarDay(day=date(year, 1, 1), year=year, is_working_day=False, name="元旦"))
    # Mediation runs 45 working days: from the last weeks of a year, its due date falls in the next.
    filed_at = now - timedelta(days=3)
    in_mediation = _anonymous_filing(session, enterprise_user.enterprise, 103, filed_at)
    session.flush()
    drive(session, in_mediation, find_path(CaseKind.COMPLAINT, "mediation"), cast, start=filed_at)

    session.add(Alert(
        key="outbox:smtp", message="SMTP server refused connections for 20 minutes.",
        created_at=now - timedelta(days=3), resolved_at=now - timedelta(days=2),
        resolution_note="邮件服务器证书已更新，发送恢复正常。",
    ))
    session.add(OutboxMessage(
        recipient=f"old-address@{DEMO_DOMAIN}", subject="[Case Tracker] 案件进展通知", body="您的案件有新的进展。",
        created_at=now - timedelta(hours=6), attempts=MAX_ATTEMPTS, last_error="550 5.1.1 mailbox unavailable",
    ))
    for minutes, kind, user, target in [
        (5, "access_denied", enterprise_user, "/cases/TS-2026-000001"),
        (15, "login_failed", consumer, "/login"),
        (16, "login_failed", consumer, "/login"),
        (90, "access_denied", consumer, "/admin/"),
        (600, "access_denied", None, "/cases/TS-2026-999999"),
    ]:
        session.add(SecurityEvent(
            kind=kind, user_id=user.id if user is not None else None, target=target, remote_addr="203.0.113.7",
            occurred_at=now - timedelta(minutes=minutes),
        ))


#: Filed before every case `load` drives to a state, so that the newest-first lists others rely on keep their order.
OLDER_THAN_THE_STATE_CASES = 70


def load_inspection_steps(
    session: Session, cast: Cast, enterprise: Enterprise, *, now: datetime, first_index: int
) -> None:
    """Arbitration and appraisal cases waiting at the steps the states alone do not show.

    A commission awaiting the applicant's or the enterprise's confirmation, samples part-way through their
    custody log, and a report served three days ago whose objection window is still open. (Sampling, report
    upload, the second round and the final report are the states themselves, which `load` already fills.)
    """
    index = first_index
    for kind in (CaseKind.ARBITRATION, CaseKind.APPRAISAL):
        for waiting_for in (cast.applicant, cast.enterprise_user):
            filed_at = now - timedelta(days=OLDER_THAN_THE_STATE_CASES)
            case, _code = cases.submit_case(session, cast.applicant, kind, filing_data(enterprise, kind, index),
                                            now=filed_at)
            session.flush()
            acted_at = drive(session, case, find_path(kind, "commission_pending"), cast, start=filed_at)
            commissions.save_commission(session, case, cast.officer, commission_terms_for(case, local_date(now)),
                                        now=acted_at + timedelta(days=1))
            confirming = cast.enterprise_user if waiting_for is cast.applicant else cast.applicant
            commissions.confirm_commission(session, case, confirming, revision=1, now=acted_at + timedelta(days=2))
            index += 1
        target = "inspection" if kind == CaseKind.ARBITRATION else "investigation"
        filed_at = now - timedelta(days=OLDER_THAN_THE_STATE_CASES)
        case, _code = cases.submit_case(session, cast.applicant, kind, filing_data(enterprise, kind, index),
                                        now=filed_at)
        session.flush()
        acted_at = drive(session, case, find_path(kind, target), cast, start=filed_at)
        sampling = case.sampling_records[0] if case.sampling_records else inspections.add_sampling_record(
            session, case, cast.officer, inspections.SamplingDetails(
                sampled_on=local_date(acted_at), place="申请人住所", quantity=2, seal_numbers=f"FY-{case.id:05d}-1",
                present="承办人、申请人、企业代表"), now=acted_at)
        for hours, step in enumerate(("received", "stored", "tested"), start=1):
            moment = acted_at + timedelta(hours=hours)
            inspections.log_custody(session, case, cast.officer, sampling, step=step, handled_by="检验员赵工",
                                    occurred_at=moment, now=moment)
        index += 1
        rows = find_path(kind, "objection_window")
        filed_at = now - timedelta(days=len(rows) + 3)
        case, _code = cases.submit_case(session, cast.applicant, kind, filing_data(enterprise, kind, index),
                                        now=filed_at)
        session.flush()
        drive(session, case, rows, cast, start=filed_at)
        index += 1
