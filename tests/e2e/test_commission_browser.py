"""An arbitration inspection in a real browser: the officer drafts the commission, each party confirms it on their own
page, the officer starts the work, records the sealed samples, and uploads and issues the report."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.accessibility import serious_violations
from tests.e2e.browsing import draft_commission
from tracker.demo import DEMO_DOMAIN
from tracker.demo import DEMO_REPORT_PDF
from tracker.demo import Cast
from tracker.demo import drive
from tracker.demo import filing_data
from tracker.demo import find_path
from tracker.extensions import db
from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.models import User
from tracker.models import utcnow
from tracker.services import cases
from tracker.working_days import local_date

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


#: A password the laboratory's demo account is given for the test (the demo lists one login per role).
LAB_PASSWORD = "laboratory staff password 2026"


@contextmanager
def signed_in(chromium, live_server, role: str, **context_options):
    """A fresh browser context logged in through the form as the demo user of the role (or the laboratory)."""
    context = chromium.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        email, password = (f"lab@{DEMO_DOMAIN}", LAB_PASSWORD) if role == "lab" else live_server.logins[role]
        page.goto(live_server.url + "/login")
        page.get_by_label("电子邮箱").fill(email)
        page.get_by_label("密码", exact=True).fill(password)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="我的案件")).to_be_visible()
        yield page
    finally:
        context.close()


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def fresh_arbitration(live_server) -> str:
    """An arbitration inspection of the demo consumer, accepted and waiting for its commission."""
    with live_server.app.app_context():
        users = {user.email.split("@")[0]: user for user in db.session.scalars(
            select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")))}
        enterprise = db.session.scalars(select(Enterprise).order_by(Enterprise.id)).first()
        cast = Cast(officer=users["officer"], applicant=users["consumer"], enterprise_user=users["enterprise"],
                    experts=[])
        filed_at = utcnow() - timedelta(days=5)
        case, _code = cases.submit_case(db.session, cast.applicant, CaseKind.ARBITRATION,
                                        filing_data(enterprise, CaseKind.ARBITRATION, 77), now=filed_at)
        db.session.flush()
        drive(db.session, case, find_path(CaseKind.ARBITRATION, "commission_pending"), cast, start=filed_at)
        number = case.number
        db.session.commit()
        db.session.remove()
    return number


def test_a_commission_is_confirmed_by_both_parties_then_samples_and_a_report_follow(
    live_server, chromium, fresh_arbitration
):
    number = fresh_arbitration
    today = local_date(utcnow())
    case_url = f"{live_server.url}/cases/{number}"

    with signed_in(chromium, live_server, "officer") as officer:
        officer.goto(case_url)
        expect(officer.locator("#commission")).to_contain_text("承办人尚未起草委托书。")
        officer.get_by_role("link", name="起草委托书").click()
        expect(officer.get_by_role("heading", name="委托书")).to_be_visible()
        assert serious_violations(officer) == []
        draft_commission(officer, basis_kind="standard", basis_text="GB 4706.1-2005 家用和类似用途电器的安全",
                         test_items="泄漏电流；电气强度", sampling_method="在申请人处随机抽取2件，双方到场封样",
                         fee="1800", today=today)
        expect(officer.locator('#commission-confirmations [data-party="consumer"]')).to_contain_text("尚未确认")
        assert officer.locator('[data-trigger="agree_commission"]').count() == 0
        assert serious_violations(officer) == []

    with signed_in(chromium, live_server, "consumer", viewport=PHONE, is_mobile=True, has_touch=True) as consumer:
        consumer.goto(case_url)
        expect(consumer.locator("#commission")).to_contain_text("泄漏电流；电气强度")
        assert serious_violations(consumer) == []
        assert fits_the_width(consumer)
        consumer.get_by_role("button", name="确认委托书").click()
        expect(consumer.get_by_role("alert").first).to_contain_text("您已确认委托书")
        expect(consumer.locator('#commission-confirmations [data-party="consumer"]')).to_contain_text("已确认")
        expect(consumer.locator("#confirm-commission")).to_have_count(0)
        assert fits_the_width(consumer)

    with signed_in(chromium, live_server, "enterprise") as enterprise:
        enterprise.goto(case_url)
        expect(enterprise.locator('#commission-confirmations [data-party="enterprise"]')).to_contain_text("尚未确认")
        assert serious_violations(enterprise) == []
        enterprise.get_by_role("button", name="确认委托书").click()
        expect(enterprise.locator('#commission-confirmations [data-party="enterprise"]')).to_contain_text("已确认")

    with signed_in(chromium, live_server, "officer", viewport=PHONE, is_mobile=True, has_touch=True) as officer:
        officer.goto(case_url)
        officer.locator('[data-trigger="agree_commission"] button').click()
        expect(officer.locator("#case-state")).to_have_attribute("data-state", "sampling")
        officer.get_by_role("link", name="样品、检验机构、报告和费用").click()
        expect(officer.get_by_role("heading", name="检验记录")).to_be_visible()
        assert serious_violations(officer) == []
        assert fits_the_width(officer)
        officer.locator("#body_id").select_option(index=1)
        officer.get_by_role("button", name="指定检验机构").click()
        expect(officer.locator("#round-body")).to_be_visible()
        officer.locator("#place").fill("申请人住所")
        officer.locator("#quantity").fill("2")
        officer.locator("#seal_numbers").fill("FY-2026-001, FY-2026-002")
        officer.locator("#present").fill("承办人、申请人、企业代表")
        officer.get_by_role("button", name="登记封存样品").click()
        expect(officer.locator("#case-state")).to_have_attribute("data-state", "inspection")
        officer.locator(".custody-form select").first.select_option("received")
        officer.locator(".custody-form input[name=handled_by]").first.fill("检验员赵工")
        moment = (utcnow() + timedelta(hours=8) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
        officer.locator(".custody-form input[name=occurred_at]").first.fill(moment)
        officer.get_by_role("button", name="添加流转记录").click()
        expect(officer.locator(".custody-log").first).to_contain_text("实验室接收")
        officer.locator("#reference").fill("ZJ-2026-0099")
        officer.locator("#report_file").set_input_files(
            [{"name": "检验报告.pdf", "mimeType": "application/pdf", "buffer": DEMO_REPORT_PDF}]
        )
        assert serious_violations(officer) == []
        officer.get_by_role("button", name="上传报告").click()
        expect(officer.locator("#rounds")).to_contain_text("检验报告.pdf")
        officer.locator('[data-trigger="issue_report"] button').click()
        expect(officer.locator("#case-state")).to_have_attribute("data-state", "objection_window")
        expect(officer.locator("#objection-until")).to_have_text((today + timedelta(days=15)).isoformat())
        assert serious_violations(officer) == []
        assert fits_the_width(officer)


@pytest.fixture
def round_in_the_laboratory(live_server) -> str:
    """An arbitration inspection sampled and waiting for the demo laboratory's tests."""
    with live_server.app.app_context():
        users = {user.email.split("@")[0]: user for user in db.session.scalars(
            select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")))}
        enterprise = db.session.scalars(select(Enterprise).order_by(Enterprise.id)).first()
        cast = Cast(officer=users["officer"], applicant=users["consumer"], enterprise_user=users["enterprise"],
                    experts=[], extra={"upload_root": live_server.app.config["UPLOAD_FOLDER"]})
        filed_at = utcnow() - timedelta(days=8)
        case, _code = cases.submit_case(db.session, cast.applicant, CaseKind.ARBITRATION,
                                        filing_data(enterprise, CaseKind.ARBITRATION, 78), now=filed_at)
        db.session.flush()
        drive(db.session, case, find_path(CaseKind.ARBITRATION, "inspection"), cast, start=filed_at)
        assert case.report_rounds[0].inspection_body_id == users["lab"].inspection_body_id
        users["lab"].password_hash = live_server.app.extensions["password_hasher"].hash(LAB_PASSWORD)
        number = case.number
        db.session.commit()
        db.session.remove()
    return number


def test_the_laboratory_logs_custody_and_uploads_its_report_on_a_phone(live_server, chromium, round_in_the_laboratory):
    number = round_in_the_laboratory
    with signed_in(chromium, live_server, "lab", viewport=PHONE, is_mobile=True, has_touch=True) as lab:
        lab.goto(live_server.url + "/expert/inspections")
        expect(lab.get_by_role("heading", name="本机构承担的检验")).to_be_visible()
        assert serious_violations(lab) == []
        lab.get_by_role("link", name=number).click()
        expect(lab.get_by_role("heading", name="检验工作")).to_be_visible()
        assert serious_violations(lab) == []
        assert fits_the_width(lab)
        lab.locator(".custody-form select").first.select_option("received")
        lab.locator(".custody-form input[name=handled_by]").first.fill("检验员赵工")
        moment = (utcnow() + timedelta(hours=8) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
        lab.locator(".custody-form input[name=occurred_at]").first.fill(moment)
        lab.get_by_role("button", name="添加流转记录").click()
        expect(lab.locator(".custody-log").first).to_contain_text("实验室接收")
        lab.locator("#reference").fill("JY-2026-0100")
        lab.locator("#report_file").set_input_files(
            [{"name": "实验室报告.pdf", "mimeType": "application/pdf", "buffer": DEMO_REPORT_PDF}]
        )
        lab.get_by_role("button", name="上传报告").click()
        expect(lab.get_by_role("alert").first).to_contain_text("报告已上传")
        expect(lab.locator("#report-heading")).to_be_visible()
        expect(lab.get_by_role("link", name="实验室报告.pdf")).to_be_visible()
        assert fits_the_width(lab)


def test_an_administrator_adds_an_inspection_body(live_server, chromium):
    with signed_in(chromium, live_server, "admin") as admin:
        admin.goto(live_server.url + "/admin/bodies")
        expect(admin.get_by_role("heading", name="检验机构", exact=True)).to_be_visible()
        assert serious_violations(admin) == []
        form = admin.locator("#new-body")
        form.get_by_label("机构名称").fill("浏览器测试检验所")
        form.get_by_label("资质认定/认可证书编号（CMA/CNAS）").fill("CNAS L9999")
        form.get_by_label("资质认定范围").fill("家用电器安全；电磁兼容")
        form.get_by_role("button", name="添加机构").click()
        expect(admin.get_by_role("alert").first).to_contain_text("已添加检验机构 浏览器测试检验所")
        expect(admin.get_by_role("heading", name="浏览器测试检验所")).to_be_visible()
        assert serious_violations(admin) == []
