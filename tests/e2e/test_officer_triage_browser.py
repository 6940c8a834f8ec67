"""The officer's triage and mediation forms in Chromium: refuse with an explanation, schedule a session, record an agreement."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.accessibility import serious_violations
from tests.e2e.test_case_portal_browser import log_in
from tests.e2e.test_case_portal_browser import screenshot
from tracker.demo import AGREEMENT_DEMO_PRODUCT
from tracker.demo import SESSION_DEMO_PRODUCT
from tracker.demo import TRIAGE_DEMO_PRODUCT
from tracker.extensions import db
from tracker.models import Case
from tracker.models import utcnow
from tracker.working_days import LOCAL_TIMEZONE

pytestmark = pytest.mark.browser


def demo_case(live_server, product: str, state: str) -> str:
    """The number of a demo case of this product still in this state."""
    with live_server.app.app_context():
        number = db.session.scalars(
            select(Case.number).where(Case.product_name == product, Case.state == state).order_by(Case.id)
        ).first()
        db.session.remove()
    assert number is not None, f"no demo case {product} in {state}"
    return number


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_officer_refuses_a_case_with_a_ground_and_an_explanation(live_server, browser_page):
    page = browser_page
    number = demo_case(live_server, TRIAGE_DEMO_PRODUCT, "under_review")
    log_in(page, live_server, "officer")
    page.goto(f"{live_server.url}/cases/{number}")
    expect(page.get_by_role("heading", name=number)).to_be_visible()
    assert serious_violations(page) == []

    refuse = page.locator('form[data-trigger="refuse"]')
    refuse.get_by_label("不予受理理由").select_option("outside_remit")
    page.once("dialog", lambda dialog: dialog.accept())
    refuse.get_by_role("button", name="不予受理").click()
    expect(page.locator("#refuse-explanation-errors")).to_have_text("请向申请人说明不予受理的理由。")
    expect(page.locator("#case-state")).to_have_attribute("data-state", "under_review")
    assert serious_violations(page) == []
    screenshot(page, "officer-01-refusal-needs-explanation")

    refuse = page.locator('form[data-trigger="refuse"]')
    refuse.get_by_label("不予受理理由").select_option("outside_remit")
    refuse.get_by_label("给申请人的说明").fill("产品质量鉴定不属于本会受理范围，请向市场监管部门反映。")
    page.once("dialog", lambda dialog: dialog.accept())
    refuse.get_by_role("button", name="不予受理").click()
    expect(page.locator("#case-state")).to_have_attribute("data-state", "refused")
    expect(page.locator("#refusal-explanation")).to_have_text("产品质量鉴定不属于本会受理范围，请向市场监管部门反映。")
    assert serious_violations(page) == []
    screenshot(page, "officer-02-refused")


def test_an_officer_schedules_a_mediation_session_on_a_phone(live_server, phone_page):
    page = phone_page
    number = demo_case(live_server, SESSION_DEMO_PRODUCT, "mediation")
    log_in(page, live_server, "officer")
    page.goto(f"{live_server.url}/cases/{number}")
    form = page.locator("#schedule-session-form")
    expect(form).to_be_visible()
    assert serious_violations(page) == []
    assert no_horizontal_scroll(page)

    starts = (utcnow() + timedelta(days=9)).astimezone(LOCAL_TIMEZONE).replace(hour=14, minute=30)
    form.get_by_label("日期和时间（北京时间）").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("方式").select_option("remote")
    form.get_by_label("会议链接（远程）").fill("https://meeting.example.cn/r/phone-test")
    form.get_by_label("参加人员").fill("张消费者；王经理")
    form.get_by_role("button", name="安排调解").click()

    sessions = page.locator("#mediation-sessions")
    expect(sessions).to_contain_text(starts.strftime("%Y-%m-%d 14:30"))
    expect(sessions).to_contain_text("https://meeting.example.cn/r/phone-test")
    assert serious_violations(page) == []
    assert no_horizontal_scroll(page)
    screenshot(page, "officer-03-session-scheduled-phone")


def test_an_officer_records_a_mediated_agreement(live_server, browser_page):
    page = browser_page
    number = demo_case(live_server, AGREEMENT_DEMO_PRODUCT, "mediation")
    log_in(page, live_server, "officer")
    page.goto(f"{live_server.url}/cases/{number}")
    form = page.locator('form[data-trigger="record_agreement"]')
    perform_by = (utcnow() + timedelta(days=14)).astimezone(LOCAL_TIMEZONE).date()
    form.get_by_label("和解处理方式").select_option("replacement")
    form.get_by_label("协议内容").fill("企业为消费者更换同型号新机，并承担往返运费。")
    form.get_by_label("约定金额（元，选填）").fill("80")
    form.get_by_label("履行期限").fill(perform_by.isoformat())
    assert serious_violations(page) == []
    form.get_by_role("button", name="登记调解协议").click()

    expect(page.locator("#case-state")).to_have_attribute("data-state", "settled")
    agreement = page.locator("#mediation-agreement")
    expect(agreement).to_contain_text("企业为消费者更换同型号新机，并承担往返运费。")
    expect(agreement).to_contain_text("¥80.00")
    assert serious_violations(page) == []
    screenshot(page, "officer-04-agreement")


def test_an_administrator_adds_a_reply_template_that_an_officer_then_sends(live_server, browser_page):
    page = browser_page
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/admin/reply-templates")
    expect(page.get_by_role("heading", name="回复模板", exact=True)).to_be_visible()
    assert serious_violations(page) == []
    form = page.locator("#reply-template-form")
    form.get_by_label("代码").fill("ask_photos")
    form.get_by_label("标题（中文）").fill("请补充故障照片")
    form.get_by_label("正文（中文）").fill("您好，请上传产品故障部位的照片。")
    form.get_by_label("标题（英文）").fill("Please send photos of the fault")
    form.get_by_label("正文（英文）").fill("Hello, please upload photos of the faulty part.")
    form.get_by_role("button", name="保存模板").click()
    expect(page.locator('#reply-template-list [data-code="ask_photos"]')).to_contain_text("请补充故障照片")
    assert serious_violations(page) == []
    screenshot(page, "admin-01-reply-templates")

    page.context.clear_cookies()
    number = demo_case(live_server, SESSION_DEMO_PRODUCT, "mediation")
    log_in(page, live_server, "officer")
    page.goto(f"{live_server.url}/cases/{number}")
    page.get_by_label("使用回复模板撰写留言").select_option(label="请补充故障照片")
    page.get_by_role("button", name="使用此回复").click()
    body = page.get_by_label("您的留言")
    expect(body).to_have_value("您好，请上传产品故障部位的照片。")
    body.fill("您好，请在本周内上传产品故障部位的照片。")
    page.get_by_role("button", name="发送留言").click()
    expect(page.locator("#message-list")).to_contain_text("您好，请在本周内上传产品故障部位的照片。")
    assert serious_violations(page) == []
