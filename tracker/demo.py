"""Demo data, and the driver that walks a case along its table (the demo and the tests both use it)."""

import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import deadlines
from tracker import workflow
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.services import accounts
from tracker.services import answers
from tracker.services import cases
from tracker.services import invitations
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
    if "panel_is_valid" in row.guards:
        wanted = 3
    elif {"panel_has_expert", "actor_on_panel"} & set(row.guards):
        wanted = 1
    else:
        wanted = 0
    for expert in cast.experts:
        if len(case.active_panel) >= wanted:
            break
        if all(member.expert_id != expert.id for member in case.panel):
            cases.appoint_expert(session, case, expert, cast.officer, now=now)
    if "objection_window_elapsed" in row.guards:
        now = now + timedelta(days=case.rule_set.objection_days + 1)
    return now


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


def load(session: Session, hasher: PasswordHasher, *, now: datetime | None = None) -> list[tuple[str, str, str]] | None:
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
    experts = [
        account(Role.EXPERT, f"expert{n}", f"专家{n}", specialty="家用电器安全") for n in (1, 2, 3)
    ]
    session.flush()
    cast = Cast(officer=officer, applicant=consumer, enterprise_user=enterprise_user, experts=experts)
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
    load_enterprise_portal(session, cast, enterprise, now=now, account=account)
    deadlines.sweep_overdue(session, now=now)
    return logins


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
