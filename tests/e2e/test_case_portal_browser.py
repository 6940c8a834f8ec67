"""A consumer's portal in a real browser: answer a request with a photo, rate a closed case, track on a phone."""

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tracker.demo import filing_data
from tracker.extensions import db
from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.services import cases

pytestmark = pytest.mark.browser

#: Set TRACKER_SCREENSHOTS to a folder to keep screenshots of each step for a human to look at.
SCREENSHOTS = os.environ.get("TRACKER_SCREENSHOTS")


def screenshot(page, name: str) -> None:
    """Keep a full-page picture of this step when a folder was given."""
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def small_jpeg() -> bytes:
    """A photo such as a phone would take, only smaller."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def log_in(page, live_server, role: str) -> None:
    """Log in through the form, in Chinese."""
    email, password = live_server.logins[role]
    page.goto(live_server.url + "/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的案件")).to_be_visible()


def open_first_case_in_state(page, state: str) -> str:
    """Open the first case of the list in the given state, looking through the list's pages; returns its number."""
    rows = page.locator("#case-list tbody tr").filter(has=page.locator(f'[data-state="{state}"]'))
    first_page = page.url.split("?")[0]
    for page_number in range(2, 6):
        if rows.count():
            break
        page.goto(f"{first_page}?page={page_number}")
    link = rows.first.get_by_role("link")
    number = link.inner_text()
    link.click()
    expect(page.get_by_role("heading", name=number)).to_be_visible()
    return number


def test_consumer_answers_a_request_with_a_photo_then_rates_a_closed_case(live_server, browser_page):
    page = browser_page
    log_in(page, live_server, "consumer")
    waiting_row = page.locator("#case-list tbody tr").filter(has=page.locator('[data-state="awaiting_information"]')).first
    expect(waiting_row.locator(".next-party")).to_contain_text("您")
    expect(waiting_row).to_contain_text("请补充承办人要求的材料。")
    screenshot(page, "01-case-list")

    open_first_case_in_state(page, "awaiting_information")
    expect(page.locator("#case-state")).to_have_text("待申请人补正材料")
    expect(page.locator("#expectation")).to_contain_text("请补充承办人要求的材料。")
    screenshot(page, "02-awaiting-information")

    page.get_by_label("您的答复").fill("已补充购买发票照片，请查收。")
    page.get_by_label("文件或照片（JPEG、PNG、WebP 或 PDF）").set_input_files(
        [{"name": "发票照片.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg()}]
    )
    page.get_by_role("button", name="提交补正材料").click()

    expect(page.locator("#case-state")).to_have_text("受理审查中")
    expect(page.get_by_role("alert").first).to_contain_text("补正材料已提交")
    expect(page.locator("#evidence-list")).to_contain_text("发票照片.jpg")
    expect(page.locator("#message-list")).to_contain_text("已补充购买发票照片，请查收。")
    expect(page.locator("#expectation")).to_have_attribute("data-party", "officer")
    expect(page.locator("#supplement")).to_have_count(0)
    screenshot(page, "03-supplemented")

    page.get_by_role("link", name="我的案件").first.click()
    open_first_case_in_state(page, "closed")
    expect(page.locator("#rating")).to_contain_text("您对本案件的办理是否满意？")
    page.locator('label[for="rating-score-4"]').click()
    page.get_by_label("意见（选填）").fill("处理及时，沟通清楚。")
    screenshot(page, "04-rating-form")
    page.get_by_role("button", name="提交评价").click()

    expect(page.get_by_role("alert").first).to_contain_text("感谢您对本案件办理情况的评价。")
    expect(page.locator("#rating [data-score]")).to_have_attribute("data-score", "4")
    expect(page.locator("#rating")).to_contain_text("4 分（满分 5 分）")
    expect(page.locator("#rating")).to_contain_text("处理及时，沟通清楚。")
    expect(page.locator('[data-form="rating"]')).to_have_count(0)
    screenshot(page, "05-rated")


def test_a_visitor_tracks_a_case_on_a_phone(live_server, phone_page):
    with live_server.app.app_context():
        enterprise = db.session.scalars(select(Enterprise).order_by(Enterprise.id)).first()
        data = filing_data(enterprise, CaseKind.COMPLAINT, 99)
        data.update(contact_name="匿名投诉人", contact_email="visitor@example.test")
        case, access_code = cases.submit_case(db.session, None, CaseKind.COMPLAINT, data)
        number = case.number
        db.session.commit()
        db.session.remove()

    page = phone_page
    page.goto(live_server.url + "/track")
    expect(page.get_by_role("heading", name="查询案件")).to_be_visible()
    page.get_by_label("案件编号").fill(number)
    page.get_by_label("查询码").fill("WRONG-CODE2")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#tracking-error")).to_have_text("没有与该案件编号和查询码相符的案件。")
    expect(page.get_by_label("案件编号")).to_have_value(number)
    screenshot(page, "06-tracking-wrong-code")

    page.get_by_label("查询码").fill(access_code.lower())
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name=number)).to_be_visible()
    expect(page.locator("#case-state")).to_have_text("已提交")
    expect(page.locator("#expectation")).to_contain_text("我们已收到您的案件，承办人将决定是否受理。")
    expect(page.locator("#timeline > li")).to_have_count(1)
    body = page.locator("body")
    expect(body).not_to_contain_text("匿名投诉人")
    expect(body).not_to_contain_text("visitor@example.test")
    expect(body).not_to_contain_text(data["narrative"])
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "07-tracking-phone")

