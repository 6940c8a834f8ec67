"""What the panel pages' browser tests share: logging in as a given person, and the checks every page passes."""

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
