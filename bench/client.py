"""A minimal browser for the benchmark: keeps cookies, reads CSRF tokens, follows rel="next" links by hand."""

import http.client
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
NEXT_LINK = re.compile(r'<a[^>]*rel="next"[^>]*href="([^"]+)"|<a[^>]*href="([^"]+)"[^>]*rel="next"')


@dataclass
class Answer:
    """Status, headers and text of one response."""

    status: int
    location: str
    text: str


class Browser:
    """One visitor of the app on loopback, with its own cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        """The Cookie header wrk must send to be this visitor."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        """One request; cookies set by the answer are kept."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": self.cookie_header} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return Answer(response.status, response.headers.get("Location", ""), text)
        finally:
            connection.close()

    def get(self, path: str) -> Answer:
        """GET a page."""
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Answer:
        """POST a form."""
        return self.request("POST", path, form)

    def csrf_token(self, path: str) -> str:
        """The CSRF token of the first form on a page."""
        page = self.get(path)
        match = CSRF_INPUT.search(page.text)
        if match is None:
            raise RuntimeError(f"no CSRF token on {path} (status {page.status})")
        return match.group(1) or match.group(2)

    def log_in(self, email: str, password: str) -> None:
        """Post the login form with its CSRF token; the session cookie is kept."""
        token = self.csrf_token("/login")
        answer = self.post("/login", {"csrf_token": token, "email": email, "password": password})
        if answer.status != 302:
            raise RuntimeError(f"login of {email} failed with {answer.status}")

    @staticmethod
    def next_link(page_text: str) -> str | None:
        """The href of the page's rel="next" link, HTML entities undone."""
        match = NEXT_LINK.search(page_text)
        if match is None:
            return None
        return (match.group(1) or match.group(2)).replace("&amp;", "&")
