"""Filing in a real browser: a visitor on a phone files a complaint in Chinese; a consumer on a laptop an appraisal."""

import io
import os
import re
from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import PHONE

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
#: Where to keep a screenshot of each step for a person to look at, e.g. TRACKER_SCREENSHOTS=/tmp/shots (no pixels
#: are compared; nothing is written when unset).
SCREENSHOTS = os.environ.get("TRACKER_SCREENSHOTS")


def photo(tmp_path: Path) -> Path:
    """A small JPEG, as a phone camera would hand it over."""
    path = tmp_path / "漏电照片.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (220, 60, 40)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def snap(page, name: str) -> None:
    """Keep a full-page screenshot of the current step when asked to."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def choose_enterprise(page, text: str, name: str) -> None:
    """Type into the enterprise search and pick the match the page lists."""
    page.get_by_label("企业名称或统一社会信用代码").fill(text)
    match = page.get_by_role("radio", name=name)
    expect(match).to_be_visible()
    match.check()


def test_a_visitor_files_a_complaint_with_a_photo_on_a_phone(live_server, phone_page, tmp_path):
    page = phone_page
    page.goto(live_server.url + "/file")
    expect(page.get_by_role("heading", name="在线提交")).to_be_visible()
    snap(page, "phone-1-choose")
    page.locator("section", has=page.get_by_role("heading", name="投诉")).get_by_role("link", name="开始填写").click()

    expect(page.get_by_role("heading", name="投诉", exact=True)).to_be_visible()
    expect(page.get_by_label("企业名称", exact=True)).to_be_hidden()
    choose_enterprise(page, "示例", "示例电器有限公司")
    page.get_by_label("产品名称").fill("电热水壶")
    page.get_by_label("型号").fill("KT-1720")
    page.get_by_label("购买日期").fill((date.today() - timedelta(days=20)).isoformat())
    page.get_by_label("支付金额（元）").fill("199.50")
    page.get_by_label("产品类别").select_option(label="家用电器")
    page.get_by_label("问题类型").select_option(label="安全隐患（起火、漏电、断裂等）")
    page.get_by_role("textbox", name="情况说明", exact=True).fill("使用一周后底座漏电，联系商家未获解决。")
    page.get_by_role("textbox", name="您的请求").fill("退货退款")
    page.get_by_label("照片和文件").set_input_files(photo(tmp_path))
    page.get_by_label("您的姓名").fill("张三")
    page.get_by_label("电子邮箱").fill("zhangsan@example.com")
    page.get_by_label("我已阅读隐私声明").check()
    snap(page, "phone-2-form")
    page.get_by_role("button", name="下一步：核对").last.click()

    expect(page.get_by_role("heading", name="核对案件信息")).to_be_visible()
    expect(page.get_by_text("示例电器有限公司")).to_be_visible()
    expect(page.get_by_text("漏电照片.jpg")).to_be_visible()
    expect(page.get_by_text("199.50 元")).to_be_visible()
    snap(page, "phone-3-review")
    page.get_by_role("button", name="提交案件").click()

    expect(page.get_by_role("heading", name="您的案件已收到")).to_be_visible()
    expect(page.locator("#case-number")).to_have_text(re.compile(r"^TS-\d{4}-\d{6}$"))
    expect(page.locator("#access-code")).to_have_text(re.compile(r"^[A-Z0-9]{5}-[A-Z0-9]{5}$"))
    expect(page.get_by_text("请立即记下查询码")).to_be_visible()
    snap(page, "phone-4-done")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_missing_field_keeps_the_upload_and_everything_typed(live_server, phone_page, tmp_path):
    page = phone_page
    page.goto(live_server.url + "/file/complaint")
    page.get_by_label("产品名称").fill("儿童自行车")
    page.get_by_label("照片和文件").set_input_files(photo(tmp_path))
    page.get_by_role("button", name="下一步：核对").last.click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("请描述事情经过。")
    expect(page.get_by_label("产品名称")).to_have_value("儿童自行车")
    expect(page.locator("#attached-files")).to_contain_text("漏电照片.jpg")
    snap(page, "phone-5-errors")


def test_a_consumer_files_an_appraisal_request_on_a_laptop(live_server, browser_page):
    page = browser_page
    page.set_viewport_size(LAPTOP)
    email, password = live_server.logins["consumer"]
    page.goto(live_server.url + "/login?next=/file")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="在线提交")).to_be_visible()
    snap(page, "laptop-1-choose")
    page.locator("section", has=page.get_by_role("heading", name="质量鉴定")).get_by_role("link", name="开始填写").click()

    expect(page.get_by_role("heading", name="质量鉴定", exact=True)).to_be_visible()
    expect(page.get_by_label("您的姓名")).to_have_count(0)
    choose_enterprise(page, "91110000", "示例电器有限公司")
    page.get_by_role("radio", name="人民法院").check()
    page.get_by_label("产品名称").fill("空气净化器")
    page.get_by_label("产品类别").select_option(label="家用电器")
    page.get_by_label("问题类型").select_option(label="质量性能不合格或故障")
    page.get_by_label("争议情况").fill("法院审理买卖合同纠纷，需查明净化效果不达标的原因。")
    page.get_by_label("需要专家组鉴定的问题").fill("1. 净化效果是否达到明示的 CADR 值？2. 不达标的原因是什么？")
    page.get_by_label("我已阅读隐私声明").check()
    snap(page, "laptop-2-form")
    page.get_by_role("button", name="下一步：核对").last.click()

    expect(page.get_by_role("heading", name="核对案件信息")).to_be_visible()
    expect(page.get_by_text("人民法院")).to_be_visible()
    snap(page, "laptop-3-review")
    page.get_by_role("button", name="提交案件").click()

    expect(page.get_by_role("heading", name="您的案件已收到")).to_be_visible()
    number = page.locator("#case-number").inner_text()
    assert re.fullmatch(r"JD-\d{4}-\d{6}", number)
    snap(page, "laptop-4-done")
    page.get_by_role("link", name="查看案件").click()
    expect(page.get_by_role("heading", name=number)).to_be_visible()
