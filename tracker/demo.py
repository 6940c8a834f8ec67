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
from tracker.models import Alert
from tracker.models import CalendarDay
from tracker.models import CalendarYear
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.models import NonWorkingDayReceipt
from tracker.models import OutboxMessage
from tracker.models import Role
from tracker.models import RuleSet
from tracker.models import SecurityEvent
from tracker.models import User
from tracker.models import utcnow
from tracker.notifications import MAX_ATTEMPTS
from tracker.services import accounts
from tracker.services import cases
from tracker.services.calendar_years import package_covers
from tracker.services.enterprises import credit_code_check_character
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
    load_administration(session, cast, now=now)
    deadlines.sweep_overdue(session, now=now)
    return logins


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
