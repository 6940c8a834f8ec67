"""Every page of every demo role, found by following links: no serious axe finding, no console error, no CSP report.

The crawler starts at the front page as each role and follows same-origin links breadth first, one URL per Flask
endpoint, so pages other features add are covered as soon as something links to them.
"""

from collections import deque
from urllib.parse import urljoin
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from tests.accessibility import serious_violations

pytestmark = pytest.mark.browser

ROLES = ("anonymous", "consumer", "officer", "enterprise", "expert", "admin")
#: Pages visited per role at most, so that the whole crawl stays well under two minutes.
MAX_PAGES_PER_ROLE = 18
#: Endpoints not to follow: leaving the session, file downloads, the language switch and static files.
SKIPPED_ENDPOINTS = {"auth.logout", "main.set_language", "static", "main.favicon", "enterprise.export_csv",
                     "expert.opinion_report", "evidence.download"}
SKIPPED_WORDS = ("download", "logout", "/static/", ".csv")

#: Records CSP violations in the page itself; added through DevTools, so the CSP does not block it.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  (event) => window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI));
"""


def log_in(page, base_url: str, email: str, password: str) -> None:
    """Sign in through the login form like a user."""
    page.goto(base_url + "/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def endpoint_of(app, url: str) -> str | None:
    """The Flask endpoint a same-origin URL reaches, or None for one that reaches none."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _arguments = adapter.match(urlsplit(url).path, method="GET")
    except HTTPException:
        return None
    return endpoint


def links_on(page, base_url: str) -> list[str]:
    """Same-origin links of the page, without fragments."""
    hrefs = page.eval_on_selector_all("a[href]", "anchors => anchors.map(a => a.getAttribute('href'))")
    found = []
    for href in hrefs:
        absolute = urljoin(page.url, href).split("#", 1)[0]
        if absolute.startswith(base_url) and not any(word in absolute for word in SKIPPED_WORDS):
            found.append(absolute)
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_is_accessible_and_quiet(backend, live_server, chromium, role):
    if backend != "sqlite":
        pytest.skip("pages look the same on both backends; one crawl keeps the run short")
    context = chromium.new_context(locale="zh-CN")
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        if role != "anonymous":
            log_in(page, live_server.url, *live_server.logins[role])
        queue = deque([live_server.url + "/"])
        seen_endpoints: set[str] = set()
        visited: list[str] = []
        while queue and len(visited) < MAX_PAGES_PER_ROLE:
            url = queue.popleft()
            endpoint = endpoint_of(live_server.app, url)
            if endpoint is None or endpoint in SKIPPED_ENDPOINTS or endpoint in seen_endpoints:
                continue
            seen_endpoints.add(endpoint)
            response = page.goto(url)
            visited.append(url)
            assert response is not None and response.status < 400, f"{role}: {url} answered {response.status}"
            violations = serious_violations(page)
            assert violations == [], f"{role}: {url}: {violations}"
            csp = page.evaluate("window.__cspViolations || []")
            assert csp == [], f"{role}: {url}: CSP violations {csp}"
            assert problems == [], f"{role}: {url}: {problems}"
            queue.extend(links_on(page, live_server.url))
        assert len(visited) >= 2, f"{role} reached only {visited}"
    finally:
        context.close()
