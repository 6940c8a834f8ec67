"""Error pages in both languages, JSON errors for API clients, CSRF enforcement, and no 500 for a refused action."""

import re
from contextlib import contextmanager

import pytest

from tracker import create_app
from tracker.extensions import db
from tracker.web.route_policy import ANYONE

JSON = {"Accept": "application/json"}


@contextmanager
def separate_app(app, **overrides):
    """A second app on the same database with different settings (its engine is disposed afterwards)."""
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], **overrides)
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


def csrf_token_in(page: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_404_page_is_in_chinese_by_default_and_in_english_after_switching(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "页面不存在" in page
    assert '<html lang="zh-CN">' in page

    switched = client.post("/language", data={"lang": "en", "next": "/no/such/page"})
    assert switched.status_code == 302
    assert switched.location == "/no/such/page"
    page = client.get("/no/such/page").get_data(as_text=True)
    assert "Page not found" in page
    assert '<html lang="en">' in page


def test_the_language_switch_refuses_unknown_languages_and_foreign_redirects(client):
    assert client.post("/language", data={"lang": "fr"}).status_code == 400
    response = client.post("/language", data={"lang": "zh", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.location == "/"


def test_the_language_switch_falls_back_to_the_referring_page(client):
    response = client.post("/language", data={"lang": "en"}, headers={"Referer": "http://localhost/login?x=1"})
    assert response.location == "/login?x=1"


def test_a_json_client_gets_a_json_error(client):
    response = client.get("/no/such/page", headers=JSON)
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json() == {
        "error": {
            "status": 404,
            "code": "not_found",
            "message": "该页面不存在，或者您无权访问。请检查网址或案件编号。",
        }
    }


def test_api_paths_always_answer_in_json(client):
    response = client.get("/api/v1/cases")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_405_keeps_the_allow_header(client):
    response = client.get("/language")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "不支持的请求方式" in response.get_data(as_text=True)


def test_workflow_refusals_are_json_for_json_clients(client, login_as, make_case, cast):
    case = make_case()
    login_as(cast.officer)
    response = client.post(
        f"/cases/{case.number}/actions/launch_rockets", data={"version": case.version}, headers=JSON
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "unknown_action"
    stale = client.post(f"/cases/{case.number}/actions/start_review", data={"version": 0}, headers=JSON)
    assert stale.status_code == 409
    assert stale.get_json()["error"] == {
        "status": 409,
        "code": "stale_case",
        "message": "该案件已被他人修改，请重新加载后再试。",
    }


def test_the_409_page_offers_to_reload_the_case(client, login_as, make_case, cast):
    case = make_case()
    login_as(cast.officer)
    page = client.post(f"/cases/{case.number}/actions/start_review", data={"version": 0}).get_data(as_text=True)
    assert f'href="/cases/{case.number}"' in page
    assert "重新加载案件" in page


def test_csrf_is_enforced_when_enabled(app):
    with separate_app(app, WTF_CSRF_ENABLED=True) as protected:
        browser = protected.test_client()
        refused = browser.post("/login", data={"email": "someone@example.test", "password": "x"})
        assert refused.status_code == 400
        assert "表单已过期或无效，请刷新页面后重试。" in refused.get_data(as_text=True)
        assert browser.post("/logout").status_code == 400
        assert browser.post("/language", data={"lang": "en"}).status_code == 400

        token = csrf_token_in(browser.get("/").get_data(as_text=True))
        accepted = browser.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
        assert accepted.status_code == 302


def test_csrf_failure_is_json_for_json_clients(app):
    with separate_app(app, WTF_CSRF_ENABLED=True) as protected:
        response = protected.test_client().post("/language", data={"lang": "en"}, headers=JSON)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "csrf_failed"


def test_an_unexpected_error_is_a_500_page_without_details(app):
    with separate_app(app, PROPAGATE_EXCEPTIONS=False) as fragile:

        @fragile.get("/explode")
        def explode():
            """A bug, as far as the error handlers can tell."""
            raise RuntimeError("secret internals")

        fragile.extensions["route_policy"]["explode"] = (ANYONE, None)

        response = fragile.test_client().get("/explode")
        assert response.status_code == 500
        page = response.get_data(as_text=True)
        assert "系统出现错误，本次操作未保存。请稍后再试。" in page
        assert "secret internals" not in page


def test_a_request_over_the_size_limit_is_a_413(app):
    with separate_app(app, MAX_CONTENT_LENGTH=64) as strict:
        response = strict.test_client().post("/login", data={"email": "a@example.test", "password": "x" * 200})
        assert response.status_code == 413
        assert "提交的内容超过了大小限制。" in response.get_data(as_text=True)


@pytest.mark.parametrize(("path", "status"), [("/cases/", 404), ("/cases/TS-2026-000001/actions/", 404)])
def test_malformed_case_urls_are_404s(client, login_as, path, status):
    login_as("officer")
    assert client.get(path).status_code == status
