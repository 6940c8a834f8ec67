"""An officer's first minute, in a real browser: log in to the workspace, open a new case, start its review, read it in English."""

import pytest
from playwright.sync_api import expect

from tests.accessibility import serious_violations

pytestmark = pytest.mark.browser


def test_officer_starts_the_acceptance_review_of_a_new_case(live_server, browser_page):
    page = browser_page
    email, password = live_server.logins["officer"]

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="登录").first.click()
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="工作台: 我的案件")).to_be_visible()
    page.locator('[data-queue="new"]').click()
    new_case_card = page.locator("li.case-card").filter(has=page.locator('[data-state="submitted"]')).first
    case_link = new_case_card.get_by_role("link").first
    case_number = case_link.inner_text()
    case_link.click()

    expect(page.get_by_role("heading", name=case_number)).to_be_visible()
    state_badge = page.locator("#case-state")
    expect(state_badge).to_have_text("已提交")
    events_before = page.locator("#timeline > li").count()

    page.get_by_role("button", name="开始受理审查").click()

    expect(state_badge).to_have_text("受理审查中")
    expect(page.get_by_role("alert")).to_contain_text("操作成功")
    expect(page.locator("#timeline > li")).to_have_count(events_before + 1)
    newest_event = page.locator("#timeline > li").last
    expect(newest_event).to_contain_text("开始受理审查")
    expect(newest_event).to_contain_text("已提交 → 受理审查中")
    expect(page.get_by_role("button", name="开始受理审查")).to_have_count(0)

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(state_badge).to_have_text("Acceptance review")
    expect(newest_event).to_contain_text("Start acceptance review")
    expect(page.get_by_role("button", name="Ask the applicant for information")).to_be_visible()
    expect(page.get_by_role("heading", name="History")).to_be_visible()


def test_axe_helper_reports_a_serious_violation_it_is_shown(live_server, browser_page):
    """The accessibility check really runs: an image without alternative text is a critical finding."""
    page = browser_page
    page.goto(live_server.url + "/login")
    page.evaluate("document.body.appendChild(Object.assign(document.createElement('img'), {src: '/favicon.ico'}))")
    assert any(v["id"] == "image-alt" for v in serious_violations(page))
