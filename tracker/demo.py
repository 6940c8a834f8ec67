"""Demo data, and the driver that walks a case along its table (the demo and the tests both use it)."""

import io
import secrets
import tempfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import deadlines
from tracker import workflow
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.models import InspectionBody
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.services import accounts
from tracker.services import cases
from tracker.services import commissions
from tracker.services import inspections
from tracker.services.attachments import EvidencePolicy
from tracker.workflow.guards import current_round
from tracker.workflow.guards import earlier_round_expert_ids
from tracker.workflow.tables import INITIAL_STATE
from tracker.workflow.tables import TABLES
from tracker.workflow.tables import Row
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
        elif guard == "report_due_date_agreed":
            data["report_due_on"] = today + timedelta(days=30)
        elif guard == "report_reference_given":
            data["report_reference"] = f"RPT-{today:%Y%m%d}-01"
        elif guard == "sample_reference_given":
            data["sample_reference"] = f"SMP-{today:%Y%m%d}-01"
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
    """Arrange what situational guards need (panel members, elapsed windows); returns the time to act at."""
    prepare_inspection(session, case, row, cast, now)
    if "panel_excludes_earlier_rounds" in row.guards:
        _add_fresh_experts(session, case, cast)
    if "panel_is_valid" in row.guards:
        wanted = 3
    elif {"panel_has_expert", "actor_on_panel"} & set(row.guards):
        wanted = 1
    else:
        wanted = 0
    earlier = earlier_round_expert_ids(case)
    for expert in cast.experts:
        if len(case.active_panel) >= wanted:
            break
        if expert.id not in earlier and all(member.expert_id != expert.id for member in case.panel):
            cases.appoint_expert(session, case, expert, cast.officer, now=now)
    if "objection_window_elapsed" in row.guards:
        now = now + timedelta(days=case.rule_set.objection_days + 1)
    return now


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


def _add_fresh_experts(session: Session, case: Case, cast: Cast) -> None:
    """A new round needs experts who sat on no earlier panel: add accounts until three such are free."""
    earlier = earlier_round_expert_ids(case) | {member.expert_id for member in case.panel}
    while sum(expert.id not in earlier for expert in cast.experts) < 3:
        number = len(cast.experts) + 1
        expert = accounts.create_user(
            session, PasswordHasher(), email=f"expert{number}.{secrets.token_hex(4)}@{DEMO_DOMAIN}",
            password=_password(), role=Role.EXPERT, display_name=f"专家{number}", specialty="家用电器安全",
        )
        session.flush()
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
    second_panel = [
        account(Role.EXPERT, f"expert{n}", f"专家{n}", specialty="家用电器安全") for n in (4, 5, 6)
    ]
    laboratory = account(Role.EXPERT, "lab", "检验员赵工", specialty="电气安全检验")
    experts = [
        account(Role.EXPERT, f"expert{n}", f"专家{n}", specialty="家用电器安全") for n in (1, 2, 3)
    ]
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
            drive(session, case, rows, cast, start=filed_at)
            index += 1
    load_inspection_steps(session, cast, enterprise, now=now, first_index=index)
    deadlines.sweep_overdue(session, now=now)
    return logins


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
