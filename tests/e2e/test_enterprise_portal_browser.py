"""The enterprise portal in a real browser: the inbox on a phone, answering with a settlement that the consumer
accepts, and a colleague invited and opening their account from the e-mailed link."""

import re
from datetime import date
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.accessibility import serious_violations
from tracker.demo import DEMO_DOMAIN
from tracker.demo import Cast
from tracker.demo import drive
from tracker.demo import filing_data
from tracker.demo import find_path
from tracker.extensions import db
from tracker.models import CaseKind
from tracker.models import OutboxMessage
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.services import accounts
from tracker.services import cases

pytestmark = pytest.mark.browser


def log_in(page, live_server, role: str) -> None:
    """Log in through the form, in Chinese."""
    email, password = live_server.logins[role]
    page.goto(live_server.url + "/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的案件")).to_be_visible()


def new_waiting_case(live_server, index: int) -> str:
    """A complaint against the demo enterprise, accepted today and waiting for its answer; returns its number."""
    with live_server.app.app_context():
        def user(local: str) -> User:
            return db.session.scalars(select(User).where(User.email == f"{local}@{DEMO_DOMAIN}")).one()

        cast = Cast(officer=user("officer"), applicant=user("consumer"), enterprise_user=user("enterprise"),
                    experts=[])
        now = utcnow() - timedelta(days=2)
        data = filing_data(cast.enterprise_user.enterprise, CaseKind.COMPLAINT, index)
        data.update(contact_name="王小明", contact_phone="13912345678", consent_forward_contact=False)
        case, _code = cases.submit_case(db.session, cast.applicant, CaseKind.COMPLAINT, data, now=now)
        db.session.flush()
        drive(db.session, case, find_path(CaseKind.COMPLAINT, "enterprise_response"), cast, start=now)
        number = case.number
        db.session.commit()
        db.session.remove()
    return number


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_inbox_on_a_phone_puts_waiting_cases_first_and_marks_overdue_ones(live_server, phone_page):
    page = phone_page
    log_in(page, live_server, "enterprise")
    page.goto(live_server.url + "/enterprise/")
    expect(page.get_by_role("heading", name="待办", exact=True)).to_be_visible()
    waiting = page.locator("#waiting-list .inbox-card")
    expect(waiting.first).to_be_visible()
    expect(waiting.first).to_have_attribute("data-overdue", "true")
    expect(waiting.first).to_contain_text("逾期")
    expect(page.locator('#waiting-list [data-overdue="false"]').first).to_contain_text("请于")
    expect(page.locator("#other-list .inbox-card").first).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("13812341234")
    assert fits_the_screen(page)
    assert serious_violations(page) == []


def test_an_enterprise_answers_with_a_settlement_and_the_consumer_accepts_it(live_server, browser_page, chromium):
    number = new_waiting_case(live_server, 301)
    page = browser_page
    log_in(page, live_server, "enterprise")
    page.goto(f"{live_server.url}/cases/{number}")
    expect(page.locator("#case-state")).to_have_text("待企业答复")
    expect(page.locator('#consumer-contact [data-contact="phone"]')).to_have_text("139****5678")
    expect(page.locator('#consumer-contact [data-contact="name"]')).to_have_text("王**")
    assert serious_violations(page) == []

    form = page.locator("#answer-form")
    form.get_by_label("处理结果").select_option("refund")
    form.get_by_label("向消费者作出的说明").fill("经核实，同意为您办理退货退款。")
    form.get_by_label("和解内容（选填）").fill("全额退款 399 元，并承担退货运费")
    form.get_by_label("金额（元，选填）").fill("399")
    form.get_by_label("履行期限（日期）").fill((date.today() + timedelta(days=7)).isoformat())
    form.get_by_label("公开回应（选填，用于公开的投诉公示）").fill("已与消费者达成退款方案。")
    form.get_by_role("button", name="提交答复").click()

    expect(page.locator("#case-state")).to_have_text("已提出和解方案")
    expect(page.get_by_role("alert").first).to_contain_text("您的答复已记录。")
    expect(page.locator("#answer-list .settlement-proposal")).to_contain_text("全额退款 399 元")
    expect(page.locator('#answer-list [data-late="false"]')).to_have_count(1)

    consumer_context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    consumer = consumer_context.new_page()
    try:
        log_in(consumer, live_server, "consumer")
        consumer.goto(f"{live_server.url}/cases/{number}")
        expect(consumer.locator("#answer-list")).to_contain_text("全额退款 399 元，并承担退货运费")
        assert fits_the_screen(consumer)
        assert serious_violations(consumer) == []
        consumer.once("dialog", lambda dialog: dialog.accept())
        consumer.get_by_role("button", name="接受和解方案").click()
        expect(consumer.locator("#case-state")).to_have_text("已和解")
    finally:
        consumer_context.close()


def test_an_enterprise_user_invites_a_colleague_who_opens_the_account_from_the_link(live_server, browser_page,
                                                                                    phone_page):
    page = browser_page
    log_in(page, live_server, "enterprise")
    page.goto(live_server.url + "/enterprise/colleagues")
    expect(page.locator("#colleague-list")).to_contain_text("赵客服")
    assert serious_violations(page) == []
    page.locator("#invite-form").get_by_label("电子邮箱").fill("browser.colleague@example.cn")
    page.get_by_role("button", name="发送邀请").click()
    expect(page.get_by_role("alert").first).to_contain_text("邀请已发送至 browser.colleague@example.cn")
    expect(page.locator("#pending-invitations")).to_contain_text("browser.colleague@example.cn")

    with live_server.app.app_context():
        body = db.session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.recipient == "browser.colleague@example.cn")
        ).one()
        db.session.remove()
    path = re.search(r"https?://[^/\s]+(/invitations/\S+)", body).group(1)

    invited = phone_page
    invited.goto(live_server.url + path)
    expect(invited.get_by_role("heading", name="开通您的账户")).to_be_visible()
    expect(invited.locator("body")).to_contain_text("browser.colleague@example.cn")
    assert fits_the_screen(invited)
    assert serious_violations(invited) == []
    invited.locator("#display_name").fill("钱售后")
    invited.locator("#password").fill("a long and quiet harbour")
    invited.locator("#confirm").fill("a long and quiet harbour")
    invited.get_by_role("button", name="开通账户").click()
    expect(invited.get_by_role("heading", name="待办", exact=True)).to_be_visible()

    invited.goto(live_server.url + path)
    expect(invited.locator("#invitation-unavailable")).to_contain_text("已被使用")


def test_an_administrator_invites_an_expert_and_disables_an_account_on_a_phone(live_server, phone_page):
    with live_server.app.app_context():
        accounts.create_user(db.session, live_server.app.extensions["password_hasher"], email="leaving@example.cn",
                             password="a long and quiet harbour", role=Role.OFFICER, display_name="离职承办人")
        db.session.commit()
        db.session.remove()
    page = phone_page
    log_in(page, live_server, "admin")
    page.goto(live_server.url + "/admin/users")
    expect(page.get_by_role("heading", name="用户", exact=True)).to_be_visible()
    assert fits_the_screen(page)
    assert serious_violations(page) == []

    form = page.locator("#admin-invite-form")
    form.get_by_label("电子邮箱").fill("new.expert@example.cn")
    form.get_by_label("角色").select_option("expert")
    form.get_by_role("button", name="发送邀请").click()
    expect(page.get_by_role("alert").first).to_contain_text("邀请已发送至 new.expert@example.cn")
    expect(page.locator("#pending-invitations")).to_contain_text("new.expert@example.cn")

    leaving = page.locator('#user-list [data-user="leaving@example.cn"]')
    leaving.get_by_role("button", name="停用").click()
    expect(page.get_by_role("alert").first).to_contain_text("所有会话已退出")
    expect(leaving).to_have_attribute("data-active", "false")
    leaving.get_by_role("button", name="启用").click()
    expect(leaving).to_have_attribute("data-active", "true")


def test_the_record_page_reads_on_a_phone(live_server, phone_page):
    page = phone_page
    log_in(page, live_server, "enterprise")
    page.goto(live_server.url + "/enterprise/record")
    expect(page.locator('[data-figure="received"]')).not_to_have_text("0")
    assert fits_the_screen(page)
    assert serious_violations(page) == []
