"""The officer workspace in Chromium: the dashboard's SVG charts, the case cards on a phone, bulk reassignment."""

import pytest
from playwright.sync_api import expect

from tests.accessibility import serious_violations
from tests.e2e.test_every_page_accessible import CSP_LISTENER
from tests.e2e.test_every_page_accessible import log_in

pytestmark = pytest.mark.browser


def watch(page) -> list[str]:
    """Collect console errors, page errors and (through the init script) CSP violations."""
    problems: list[str] = []
    page.context.add_init_script(CSP_LISTENER)
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_dashboard_draws_its_svg_charts_with_no_console_error_or_csp_violation(live_server, browser_page):
    page = browser_page
    problems = watch(page)
    log_in(page, live_server.url, *live_server.logins["officer"])
    page.goto(live_server.url + "/officer/dashboard")

    expect(page.get_by_role("heading", name="统计看板")).to_be_visible()
    for chart in ("#chart-by-state", "#chart-by-kind", "#chart-weekly"):
        bars = page.locator(f"{chart} rect.chart-bar")
        assert bars.count() > 0
        box = bars.first.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        fill = bars.first.evaluate("bar => getComputedStyle(bar).fill")
        assert fill == "rgb(8, 72, 168)" or fill == "rgb(20, 108, 67)", fill
    assert page.locator("#chart-weekly rect.chart-bar").count() == 12
    escalated = page.locator("#escalated-heading ~ #case-list li.case-card-escalated")
    assert escalated.count() > 0
    assert int(page.locator("#figure-escalated").inner_text()) > 0
    assert page.evaluate("window.__cspViolations") == []
    assert problems == []
    assert serious_violations(page) == []

    page.locator("#chart-by-kind a").first.click()
    page.wait_for_url("**/officer/queue/open?kind=*")
    assert page.locator("li.case-card").count() > 0


def test_the_case_list_on_a_phone_is_a_stack_of_cards_without_horizontal_scroll(live_server, phone_page):
    page = phone_page
    problems = watch(page)
    log_in(page, live_server.url, *live_server.logins["officer"])
    page.goto(live_server.url + "/officer/queue/open")

    cards = page.locator("li.case-card")
    assert cards.count() > 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert second["y"] >= first["y"] + first["height"] - 1
    assert first["width"] <= 390
    assert page.locator("table").count() == 0
    assert serious_violations(page) == []
    assert problems == []


def test_an_officer_reassigns_two_cases_at_once_with_a_reason(live_server, browser_page):
    page = browser_page
    problems = watch(page)
    log_in(page, live_server.url, *live_server.logins["officer"])
    page.goto(live_server.url + "/officer/queue/mine?sort=number")
    cards = page.locator("li.case-card")
    numbers = [cards.nth(index).get_attribute("data-case") for index in (0, 1)]
    for number in numbers:
        page.get_by_label(f"选择 {number}").check()
    page.get_by_label("分配给").select_option(label="陈承办")
    page.get_by_label("理由").fill("演示：承办人出差")
    page.get_by_role("button", name="分配", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text("已将 2 件案件分配给 陈承办")
    for number in numbers:
        expect(page.locator(f'li.case-card[data-case="{number}"]')).to_have_count(0)
    page.goto(live_server.url + "/officer/queue/open")
    page.locator("summary", has_text="筛选与排序").click()
    page.locator("#queue-filter").get_by_label("承办人").select_option(label="陈承办")
    page.get_by_role("button", name="应用").click()
    for number in numbers:
        expect(page.locator(f'li.case-card[data-case="{number}"]')).to_have_count(1)
    assert problems == []
