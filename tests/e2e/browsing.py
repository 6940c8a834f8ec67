"""What the browser tests share: logging in as a given person, the checks every page passes, drafting a commission."""

from datetime import date
from datetime import timedelta

from playwright.sync_api import expect

from tests.accessibility import serious_violations

#: The password of the people these tests create in the live server's database.
PASSWORD = "journey passphrase 2026"


def log_in(page, live_server, credentials: tuple[str, str]) -> None:
    """Log in through the form, in Chinese."""
    email, password = credentials
    page.goto(live_server.url + "/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的案件")).to_be_visible()


def accessible(page) -> None:
    """No serious or critical axe finding on the page as it is now."""
    violations = serious_violations(page)
    assert violations == [], violations


def fits_the_width(page) -> None:
    """Nothing is wider than the screen."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


def draft_commission(page, *, basis_kind: str, basis_text: str, test_items: str, sampling_method: str, fee: str,
                     today: date) -> None:
    """Fill in and save the commission form open on the page: report in 30 days, the applicant pays within 7."""
    page.locator("#basis_kind").select_option(basis_kind)
    page.locator("#basis_text").fill(basis_text)
    page.locator("#test_items").fill(test_items)
    page.locator("#sampling_method").fill(sampling_method)
    page.locator("#report_due_on").fill((today + timedelta(days=30)).isoformat())
    page.locator("#fee_amount").fill(fee)
    page.locator("#fee_payer").select_option("applicant")
    page.locator("#fee_due_on").fill((today + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="保存委托书").click()
    expect(page.get_by_role("alert").first).to_contain_text("委托书已保存")
