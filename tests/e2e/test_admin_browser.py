"""An administrator's pages in a real browser: the main action of each, checked with axe, some on a phone."""

import pytest
from playwright.sync_api import expect

from tests.accessibility import serious_violations

pytestmark = pytest.mark.browser


def log_in_as_admin(page, live_server) -> None:
    """Log in through the form, in Chinese."""
    email, password = live_server.logins["admin"]
    page.goto(live_server.url + "/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的案件")).to_be_visible()


def test_the_index_leads_to_each_page_with_live_counts_on_a_phone(live_server, phone_page):
    page = phone_page
    log_in_as_admin(page, live_server)
    page.goto(live_server.url + "/admin/")
    expect(page.get_by_role("heading", name="系统管理")).to_be_visible()
    expect(page.locator('[data-count="/admin/outbox"]')).to_contain_text("条发送失败的消息")
    assert serious_violations(page) == []
    page.get_by_role("link", name="日历年份").click()
    expect(page.get_by_role("heading", name="日历年份", exact=True)).to_be_visible()
    assert int(page.locator("#pending-count .badge").inner_text()) > 0
    assert serious_violations(page) == []


def test_an_administrator_confirms_one_enterprise_and_merges_a_duplicate(live_server, browser_page):
    page = browser_page
    log_in_as_admin(page, live_server)
    page.goto(live_server.url + "/admin/enterprises?status=unconfirmed")
    assert serious_violations(page) == []
    page.get_by_role("link", name="新开数码商行").click()
    expect(page.get_by_role("heading", name="确认该企业")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("企业已确认")

    page.goto(live_server.url + "/admin/enterprises?status=unconfirmed")
    page.get_by_role("link", name="示例电器公司").click()
    page.get_by_label("要合并到的已确认企业的信用代码").fill("91110000MA00DEMO1X")
    page.get_by_role("button", name="合并并转移其案件").click()
    expect(page.get_by_role("heading", name="示例电器有限公司")).to_be_visible()
    expect(page.get_by_role("alert").first).to_contain_text("转移了 1 个案件")
    assert serious_violations(page) == []


def test_a_mistyped_credit_code_is_named_on_a_phone(live_server, phone_page):
    page = phone_page
    log_in_as_admin(page, live_server)
    page.goto(live_server.url + "/admin/enterprises")
    page.get_by_label("登记名称").fill("杭州示例科技有限公司")
    page.get_by_label("统一社会信用代码").fill("91330100799655058C")
    page.get_by_role("button", name="创建企业").click()
    expect(page.get_by_role("alert")).to_contain_text("校验码")
    assert serious_violations(page) == []
    page.get_by_label("统一社会信用代码").fill("91330100799655058B")
    page.get_by_role("button", name="创建企业").click()
    expect(page.get_by_role("heading", name="杭州示例科技有限公司")).to_be_visible()


def test_an_administrator_adds_a_rule_set_version_on_a_phone(live_server, phone_page):
    page = phone_page
    log_in_as_admin(page, live_server)
    page.goto(live_server.url + "/admin/rule-sets")
    expect(page.locator("#rule-sets")).to_contain_text("default-2022")
    page.get_by_label("代码", exact=True).fill("browser-2030")
    page.get_by_label("版本名称").fill("浏览器测试版本")
    page.get_by_label("生效日期").fill("2030-01-02")
    page.get_by_label("非工作日收到的案件").select_option("day_zero")
    assert serious_violations(page) == []
    page.get_by_role("button", name="保存新版本").click()
    expect(page.get_by_role("alert").first).to_contain_text("规则集 browser-2030 已保存")
    expect(page.locator('[data-code="browser-2030"]')).to_contain_text("尚未生效")


def test_an_administrator_enters_a_calendar_year(live_server, browser_page):
    page = browser_page
    log_in_as_admin(page, live_server)
    page.goto(live_server.url + "/admin/calendar")
    page.get_by_role("spinbutton", name="年份").fill("2031")
    page.get_by_role("button", name="录入该年").click()
    expect(page.get_by_role("heading", name="2031 年日历")).to_be_visible()
    page.get_by_label("工作日中的节假日").fill("2031-01-01 元旦\n2031-10-01 国庆节")
    page.get_by_label("周末调休上班日").fill("2031-09-28 国庆节调休")
    page.get_by_label("该年已录入完整").check()
    assert serious_violations(page) == []
    page.get_by_role("button", name="保存该年").click()
    expect(page.get_by_role("alert").first).to_contain_text("2031 年已录入完整")
    expect(page.get_by_label("工作日中的节假日")).to_have_value("2031-01-01 元旦\n2031-10-01 国庆节")

    page.get_by_label("工作日中的节假日").fill("2031-02-30")
    page.get_by_role("button", name="保存该年").click()
    expect(page.get_by_role("alert")).to_contain_text("“2031-02-30”不是日期")
    assert serious_violations(page) == []


def test_an_alert_is_resolved_and_a_failed_message_retried_on_a_phone(live_server, phone_page):
    page = phone_page
    log_in_as_admin(page, live_server)
    page.goto(live_server.url + "/admin/alerts")
    first = page.locator("#alert-list article").first
    key = first.get_attribute("data-alert")
    first.get_by_label("采取的措施").fill("已通知值班管理员跟进。")
    assert serious_violations(page) == []
    first.get_by_role("button", name="标记为已处理").click()
    expect(page.get_by_role("alert").first).to_contain_text("警报已处理")
    expect(page.locator(f'[data-alert="{key}"]')).to_have_count(0)

    page.goto(live_server.url + "/admin/outbox")
    message = page.locator("#failed-messages article").first
    expect(message).to_contain_text("550 5.1.1 mailbox unavailable")
    assert serious_violations(page) == []
    message_id = message.get_attribute("data-message")
    message.get_by_role("button", name="重试").click()
    expect(page.get_by_role("alert").first).to_contain_text("重新发送")
    expect(page.locator(f'[data-message="{message_id}"]')).to_have_count(0)


def test_security_events_are_filtered_by_type(live_server, browser_page):
    page = browser_page
    log_in_as_admin(page, live_server)
    page.goto(live_server.url + "/admin/security-events")
    page.get_by_label("类型").select_option("login_failed")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("#security-events tbody tr")
    expect(rows.first).to_be_visible()
    kinds = set(rows.evaluate_all("rows => rows.map(row => row.dataset.kind)"))
    assert kinds == {"login_failed"}
    assert serious_violations(page) == []


def test_a_taxonomy_term_is_added_on_a_phone(live_server, phone_page):
    page = phone_page
    log_in_as_admin(page, live_server)
    page.goto(live_server.url + "/admin/taxonomy")
    new_issue = page.get_by_role("form", name="添加条目: 问题类型")
    new_issue.get_by_label("代码").fill("battery_swelling")
    new_issue.get_by_label("中文名称").fill("电池鼓包")
    new_issue.get_by_label("英文名称").fill("Swollen battery")
    assert serious_violations(page) == []
    new_issue.get_by_role("button", name="添加条目").click()
    expect(page.get_by_role("alert").first).to_contain_text("已添加“电池鼓包”")
    expect(page.locator('[data-term="battery_swelling"]')).to_be_visible()
