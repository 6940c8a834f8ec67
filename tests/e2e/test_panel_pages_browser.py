"""The other panel pages in a real browser: the administrators' expert pool, an expert's conflicts of interest, and
a party's recusal request that the officer grants."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.browsing import PASSWORD
from tests.e2e.browsing import accessible
from tests.e2e.browsing import fits_the_width
from tests.e2e.browsing import log_in
from tracker.demo import Cast
from tracker.demo import drive
from tracker.demo import filing_data
from tracker.demo import find_path
from tracker.extensions import db
from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.models import Role
from tracker.models import utcnow
from tracker.services import accounts
from tracker.services import experts
from tracker.services.cases import submit_case

pytestmark = pytest.mark.browser


def test_the_administrator_adds_an_expert_to_the_pool_and_deactivates_them(live_server, new_page):
    page = new_page()
    log_in(page, live_server, live_server.logins["admin"])
    page.get_by_role("link", name="专家库").click()
    expect(page.get_by_role("heading", name="专家库")).to_be_visible()
    accessible(page)
    page.get_by_role("link", name="添加专家").click()
    suffix = utcnow().strftime("%H%M%S%f")
    page.get_by_label("电子邮箱").fill(f"pool.{suffix}@zhijian.example.cn")
    page.get_by_label("初始密码（请告知专家自行修改）").fill("a first passphrase for the expert")
    page.get_by_label("姓名").fill(f"周研究员{suffix[-4:]}")
    page.get_by_label("所在单位", exact=True).fill("国家食品质量检验检测中心")
    page.get_by_label("食品 / Food").check()
    accessible(page)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").first).to_contain_text("已加入专家库")
    row = page.locator("#expert-pool tbody tr").filter(has_text=f"周研究员{suffix[-4:]}")
    expect(row).to_contain_text("国家食品质量检验检测中心")
    expect(row).to_contain_text("食品")
    row.get_by_role("button", name="停用").click()
    expect(page.locator("#expert-pool tbody tr").filter(has_text=f"周研究员{suffix[-4:]}")).to_contain_text("已停用")


@pytest.fixture
def panel_case(live_server):
    """An appraisal under investigation by three experts, filed by a consumer who may ask for a recusal."""
    app = live_server.app
    suffix = utcnow().strftime("%H%M%S%f")
    with app.app_context():
        hasher = app.extensions["password_hasher"]

        def account(role, local, name, **extra):
            return accounts.create_user(db.session, hasher, email=f"{local}.{suffix}@pages.example.cn",
                                        password=PASSWORD, role=role, display_name=name, **extra)

        enterprise = Enterprise(name=f"页面测试电器{suffix}", credit_code=f"91440000P{suffix[:9]}"[:18], confirmed=True)
        db.session.add(enterprise)
        officer = account(Role.OFFICER, "officer", "页面承办人")
        consumer = account(Role.CONSUMER, "consumer", "页面消费者")
        enterprise_user = account(Role.ENTERPRISE, "enterprise", "页面企业", enterprise=enterprise)
        pool = []
        for index in range(3):
            expert = account(Role.EXPERT, f"expert{index}", f"页面专家{index}")
            experts.attach_profile(db.session, expert, organisation=f"页面检验院{index}",
                                   specialty_codes=["vehicles"], now=utcnow())
            pool.append(expert)
        db.session.flush()
        filed_at = utcnow() - timedelta(days=3)
        case, _code = submit_case(db.session, consumer, CaseKind.APPRAISAL,
                                  {**filing_data(enterprise, CaseKind.APPRAISAL, 3), "category": "vehicles"},
                                  now=filed_at)
        db.session.flush()
        cast = Cast(officer=officer, applicant=consumer, enterprise_user=enterprise_user, experts=pool)
        drive(db.session, case, find_path(CaseKind.APPRAISAL, "investigation"), cast, start=filed_at,
              step=timedelta(hours=2))
        details = {"number": case.number, "officer": (officer.email, PASSWORD), "consumer": (consumer.email, PASSWORD),
                   "expert": (pool[0].email, PASSWORD), "enterprise": enterprise.name}
        db.session.commit()
        db.session.remove()
    return details


def test_a_consumer_asks_for_a_recusal_and_the_officer_grants_it(live_server, panel_case, new_page):
    consumer = new_page(phone=True)
    log_in(consumer, live_server, panel_case["consumer"])
    consumer.goto(f"{live_server.url}/cases/{panel_case['number']}")
    expect(consumer.locator("#panel-members li")).to_have_count(3)
    consumer.get_by_label("专家", exact=True).select_option(label="页面专家2")
    consumer.get_by_label("该专家为什么不应参加？").fill("该专家曾在媒体上评论过本案产品")
    consumer.get_by_role("button", name="提交申请").click()
    expect(consumer.get_by_role("alert").first).to_contain_text("您的申请已提交")
    expect(consumer.locator("#panel")).to_contain_text("正等待承办人决定")
    accessible(consumer)
    fits_the_width(consumer)

    officer = new_page()
    log_in(officer, live_server, panel_case["officer"])
    officer.goto(f"{live_server.url}/officer/cases/{panel_case['number']}/panel")
    request = officer.locator("form[data-recusal]")
    expect(request).to_contain_text("该专家曾在媒体上评论过本案产品")
    accessible(officer)
    request.get_by_label("准许：该专家退出专家组").check()
    request.get_by_label("理由").fill("申请理由成立")
    request.get_by_role("button", name="决定").click()
    expect(officer.get_by_role("alert").first).to_contain_text("回避申请已作出决定")
    expect(officer.locator("#departed")).to_contain_text("页面专家2")
    expect(officer.locator("#current-panel li")).to_have_count(2)


def test_an_expert_declares_a_conflict_with_an_enterprise_on_a_phone(live_server, panel_case, new_page):
    page = new_page(phone=True)
    log_in(page, live_server, panel_case["expert"])
    page.goto(live_server.url + "/expert/")
    expect(page.locator(f'#review-inbox [data-case="{panel_case["number"]}"]')).to_be_visible()
    accessible(page)
    fits_the_width(page)
    page.get_by_role("link", name="我的利益冲突声明").click()
    page.get_by_label("企业", exact=True).select_option(label=panel_case["enterprise"])
    page.get_by_label("您与该企业存在什么利害关系？").fill("本人持有该企业股份")
    page.get_by_role("button", name="提交声明").click()
    expect(page.get_by_role("alert").first).to_contain_text("您的利益冲突声明已记录")
    expect(page.locator("#declarations")).to_contain_text(panel_case["enterprise"])
    accessible(page)
    fits_the_width(page)
    page.goto(live_server.url + "/expert/")
    expect(page.locator(f'#review-inbox [data-case="{panel_case["number"]}"]')).to_have_count(0)
