"""An appraisal to its final report in a real browser, each person on their own pages: the officer drafts the
commission and both parties confirm it, the officer appoints three experts, one declares a conflict and is replaced, three opinions come in, the chair concludes, the officer uploads
and issues the report, the consumer reads it and the day objections end, and once that day has passed with no
objection the sweep's step makes the report final.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.accessibility import serious_violations
from tests.e2e.browsing import PASSWORD
from tests.e2e.browsing import accessible
from tests.e2e.browsing import draft_commission
from tests.e2e.browsing import fits_the_width
from tests.e2e.browsing import log_in
from tracker.demo import DEMO_REPORT_PDF
from tracker.demo import Cast
from tracker.demo import drive
from tracker.demo import filing_data
from tracker.demo import find_path
from tracker.extensions import db
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.services import accounts
from tracker.services import experts
from tracker.services import inspections
from tracker.services.cases import submit_case
from tracker.working_days import local_date

pytestmark = pytest.mark.browser

#: A field no demo expert knows, so that the pool the officer sees is exactly the journey's four experts.
SPECIALTY = "home_building"
EXPERT_NAMES = ("甲专家", "乙专家", "丙专家", "丁专家")


@dataclass
class Journey:
    """The case and the people of one run."""

    number: str
    officer: tuple[str, str]
    consumer: tuple[str, str]
    enterprise: tuple[str, str]
    experts: dict[str, tuple[str, str]]


def _account(role: Role, email: str, name: str, hasher, **extra) -> User:
    return accounts.create_user(db.session, hasher, email=email, password=PASSWORD, role=role, display_name=name,
                                **extra)


@pytest.fixture
def journey(live_server) -> Journey:
    """A consumer's appraisal request, accepted and waiting for its commission; four experts."""
    app = live_server.app
    suffix = utcnow().strftime("%H%M%S%f")
    with app.app_context():
        hasher = app.extensions["password_hasher"]
        enterprise = Enterprise(name=f"旅程家居建材有限公司{suffix}", credit_code=f"91310000J{suffix[:9]}"[:18],
                                confirmed=True)
        db.session.add(enterprise)
        officer = _account(Role.OFFICER, f"officer.{suffix}@journey.example.cn", "旅程承办人", hasher)
        consumer = _account(Role.CONSUMER, f"consumer.{suffix}@journey.example.cn", "李秀英", hasher)
        enterprise_user = _account(Role.ENTERPRISE, f"ent.{suffix}@journey.example.cn", "旅程企业", hasher,
                                   enterprise=enterprise)
        pool = {}
        for index, name in enumerate(EXPERT_NAMES):
            expert = _account(Role.EXPERT, f"expert{index}.{suffix}@journey.example.cn", name, hasher)
            experts.attach_profile(db.session, expert, organisation=f"建材检验研究院{index}",
                                   specialty_codes=[SPECIALTY], now=utcnow())
            pool[name] = (expert.email, PASSWORD)
        db.session.flush()
        filed_at = utcnow() - timedelta(days=5)
        data = {**filing_data(enterprise, CaseKind.APPRAISAL, 7), "category": SPECIALTY,
                "narrative": "地板铺设三个月后大面积起拱开裂。联系人李秀英，电话13812345678。"}
        case, _code = submit_case(db.session, consumer, CaseKind.APPRAISAL, data, now=filed_at)
        db.session.flush()
        cast = Cast(officer=officer, applicant=consumer, enterprise_user=enterprise_user, experts=[])
        drive(db.session, case, find_path(CaseKind.APPRAISAL, "commission_pending"), cast, start=filed_at,
              step=timedelta(hours=2))
        number, emails = case.number, (officer.email, consumer.email, enterprise_user.email)
        db.session.commit()
        db.session.remove()
    officer_login, consumer_login, enterprise_login = ((email, PASSWORD) for email in emails)
    return Journey(number, officer_login, consumer_login, enterprise_login, pool)


def agree_the_commission(new_page, live_server, journey: Journey):
    """The officer drafts the commission, each party confirms it on their own page, the officer starts the work."""
    case_url = f"{live_server.url}/cases/{journey.number}"
    officer = new_page()
    log_in(officer, live_server, journey.officer)
    officer.goto(case_url)
    officer.get_by_role("link", name="起草委托书").click()
    draft_commission(officer, basis_kind="agreed_quality", basis_text="买卖合同约定：实木复合地板，含水率不高于12%",
                     test_items="地板起拱开裂的原因；是否符合约定质量", sampling_method="在消费者家中现场取样2块，双方到场封样",
                     fee="2400", today=local_date(utcnow()))
    for credentials, phone in ((journey.consumer, True), (journey.enterprise, False)):
        party = new_page(phone=phone)
        log_in(party, live_server, credentials)
        party.goto(case_url)
        expect(party.locator("#commission")).to_contain_text("地板起拱开裂的原因")
        party.get_by_role("button", name="确认委托书").click()
        expect(party.get_by_role("alert").first).to_contain_text("您已确认委托书")
        accessible(party)
    officer.goto(case_url)
    officer.locator('[data-trigger="agree_commission"] button').click()
    expect(officer.locator("#case-state")).to_have_attribute("data-state", "panel_forming")
    return officer


def open_review(page, live_server, journey: Journey, name: str) -> None:
    """An expert logs in and opens the case from their inbox."""
    log_in(page, live_server, journey.experts[name])
    page.goto(live_server.url + "/expert/")
    expect(page.get_by_role("heading", name="分配给我的评审")).to_be_visible()
    page.locator(f'#review-inbox [data-case="{journey.number}"] a').click()
    expect(page.get_by_role("heading", name=journey.number)).to_be_visible()


def give_opinion(page, text: str) -> None:
    """Fill in and submit the opinion form."""
    page.get_by_label("检查发现").fill(f"{text}：基材含水率超标")
    page.get_by_label("结论", exact=True).fill(f"{text}：产品不符合明示质量")
    page.locator("#opinion-reasoning").fill(f"{text}：依据GB/T 18103检测")
    page.get_by_role("button", name="提交我的意见").click()
    expect(page.get_by_role("alert").first).to_contain_text("您的意见已提交")


def test_an_appraisal_goes_from_its_panel_to_a_final_report(
    live_server, journey, new_page
):
    officer = agree_the_commission(new_page, live_server, journey)
    officer.get_by_role("link", name="管理专家组").click()
    expect(officer.get_by_role("heading", name="当前专家组")).to_be_visible()
    eligible = officer.locator("#eligible-experts tbody tr")
    expect(eligible).to_have_count(4)
    accessible(officer)
    for name in EXPERT_NAMES[:2]:
        officer.get_by_label(f"指派{name}").check()
    officer.get_by_role("button", name="指派所选专家").click()
    expect(officer.get_by_role("alert").first).to_contain_text("专家组人数不符合规则要求")
    officer.get_by_label("指派甲专家").check()
    officer.get_by_label("指派乙专家").check()
    officer.get_by_label("指派丙专家").check()
    officer.get_by_label("由甲专家担任组长").check()
    officer.get_by_role("button", name="指派所选专家").click()
    expect(officer.get_by_role("alert").first).to_contain_text("专家已指派")
    expect(officer.locator("#current-panel li")).to_have_count(3)
    officer.goto(f"{live_server.url}/cases/{journey.number}")
    officer.locator('form[data-trigger="form_panel"] button').click()
    expect(officer.locator("#case-state")).to_have_attribute("data-state", "investigation")

    conflicted = new_page(phone=True)
    open_review(conflicted, live_server, journey, "丙专家")
    expect(conflicted.locator("#redacted-narrative")).to_contain_text("联系人〔姓名〕，电话〔电话号码〕")
    expect(conflicted.locator("#redacted-narrative")).not_to_contain_text("13812345678")
    accessible(conflicted)
    fits_the_width(conflicted)
    conflicted.locator("#case-conflict-reason").fill("本人曾在该企业担任技术顾问")
    conflicted.get_by_role("button", name="声明利益冲突").click()
    expect(conflicted.get_by_role("alert").first).to_contain_text("您已退出专家组")
    expect(conflicted.locator("#review-inbox")).to_have_count(0)

    officer.get_by_role("link", name="管理专家组").click()
    expect(officer.locator("#departed")).to_contain_text("丙专家")
    expect(officer.locator('#excluded-experts [data-reason="declared_conflict"]')).to_have_count(1)
    officer.get_by_label("指派丁专家").check()
    officer.get_by_role("button", name="指派所选专家").click()
    expect(officer.locator("#current-panel li")).to_have_count(3)
    accessible(officer)

    chair = new_page()
    open_review(chair, live_server, journey, "甲专家")
    expect(chair.locator("#opinions-hidden")).to_be_visible()
    give_opinion(chair, "甲")
    accessible(chair)

    second = new_page(phone=True)
    open_review(second, live_server, journey, "乙专家")
    expect(second.locator("#opinions")).not_to_contain_text("甲：产品不符合明示质量")
    accessible(second)
    fits_the_width(second)
    give_opinion(second, "乙")
    expect(second.locator("#opinions")).to_contain_text("甲：产品不符合明示质量")

    replacement = new_page()
    open_review(replacement, live_server, journey, "丁专家")
    give_opinion(replacement, "丁")

    officer.goto(f"{live_server.url}/cases/{journey.number}")
    officer.locator('form[data-trigger="start_deliberation"] button').click()
    expect(officer.locator("#case-state")).to_have_attribute("data-state", "deliberation")

    chair.reload()
    chair.get_by_role("textbox", name="专家组结论").fill("地板起拱系基材含水率超标所致，产品不符合明示质量。")
    chair.locator("#conclusion-reasoning").fill("三位专家一致意见。")
    accessible(chair)
    chair.get_by_role("button", name="记录专家组结论").click()
    expect(chair.get_by_role("alert").first).to_contain_text("专家组结论已记录")
    expect(chair.locator("#conclusion-count")).to_have_text("多数意见 3 人，不同意见 0 人。")

    officer.goto(f"{live_server.url}/officer/cases/{journey.number}/panel")
    expect(officer.locator("#current-panel")).to_contain_text("甲专家")
    accessible(officer)

    issued_on = issue_the_report(officer, live_server, journey)
    consumer = new_page(phone=True)
    log_in(consumer, live_server, journey.consumer)
    consumer.goto(f"{live_server.url}/cases/{journey.number}")
    expect(consumer.locator("#case-state")).to_have_attribute("data-state", "objection_window")
    expect(consumer.locator("#rounds")).to_contain_text("鉴定报告.pdf")
    expect(consumer.locator("#objection-until")).to_have_text((issued_on + timedelta(days=15)).isoformat())
    accessible(consumer)
    fits_the_width(consumer)

    lapse_the_objection_window(live_server, journey.number)
    consumer.reload()
    expect(consumer.locator("#case-state")).to_have_attribute("data-state", "final")
    expect(consumer.locator("#rounds")).to_contain_text("鉴定报告.pdf")
    assert serious_violations(consumer) == []


def issue_the_report(officer, live_server, journey: Journey):
    """The officer uploads the panel's report on the inspection page and issues it from the case page."""
    officer.goto(f"{live_server.url}/cases/{journey.number}")
    officer.get_by_role("link", name="样品、检验机构、报告和费用").click()
    officer.locator("#reference").fill("JD-2026-0007")
    officer.locator("#report_file").set_input_files(
        [{"name": "鉴定报告.pdf", "mimeType": "application/pdf", "buffer": DEMO_REPORT_PDF}]
    )
    accessible(officer)
    officer.get_by_role("button", name="上传报告").click()
    expect(officer.locator("#rounds")).to_contain_text("鉴定报告.pdf")
    officer.goto(f"{live_server.url}/cases/{journey.number}")
    officer.locator('[data-trigger="issue_report"] button').click()
    expect(officer.locator("#case-state")).to_have_attribute("data-state", "objection_window")
    return local_date(utcnow())


def lapse_the_objection_window(live_server, number: str) -> None:
    """Sixteen days pass without an objection (this case's report dates move back 16 days), then the sweep's step
    makes the report final with the system actor; the shared demo data is left as it is."""
    shift = timedelta(days=16)
    with live_server.app.app_context():
        case = db.session.scalars(select(Case).where(Case.number == number)).one()
        report_round = case.report_rounds[-1]
        report_round.issued_on -= shift
        report_round.served_on -= shift
        for deadline in case.deadlines:
            if deadline.clock == "objection":
                deadline.started_on -= shift
                deadline.due_on -= shift
        db.session.commit()
        finalized = inspections.finalize_lapsed_reports(db.session, now=utcnow())
        db.session.commit()
        db.session.remove()
    assert finalized == [number], "only this case's window has run out"
