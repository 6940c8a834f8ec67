"""Reply templates: administrators keep them in both languages; an officer picks one, edits it and sends it."""

from sqlalchemy import select

from tests.test_web_cases import switch_user
from tracker.extensions import db
from tracker.models import Message
from tracker.models import ReplyTemplate

TEMPLATE = {
    "code": "ask_invoice", "title_zh": "请补充发票", "title_en": "Please send the invoice",
    "body_zh": "您好，请补充购买发票的照片。", "body_en": "Hello, please send a photo of the purchase invoice.",
}


def test_an_administrator_keeps_a_template_in_both_languages(client, login_as):
    login_as("admin")
    response = client.post("/admin/reply-templates", data=TEMPLATE)
    assert response.status_code == 302
    template = db.session.scalars(select(ReplyTemplate).where(ReplyTemplate.code == "ask_invoice")).one()
    assert (template.body("zh"), template.body("en")) == (TEMPLATE["body_zh"], TEMPLATE["body_en"])
    changed = {**TEMPLATE, "body_en": "Please send the invoice and the receipt."}
    assert client.post(f"/admin/reply-templates/{template.id}", data=changed).status_code == 302
    db.session.refresh(template)
    assert template.body_en == "Please send the invoice and the receipt."
    page = client.get("/admin/reply-templates").get_data(as_text=True)
    assert "请补充发票" in page


def test_a_template_needs_both_languages_and_a_unique_code(client, login_as):
    login_as("admin")
    assert client.post("/admin/reply-templates", data=TEMPLATE).status_code == 302
    response = client.post("/admin/reply-templates", data={**TEMPLATE, "title_en": "Other"})
    assert response.status_code == 409
    assert "已有模板使用此代码。" in response.get_data(as_text=True)
    response = client.post("/admin/reply-templates", data={**TEMPLATE, "code": "other", "body_en": " "})
    assert response.status_code == 422
    assert len(db.session.scalars(select(ReplyTemplate)).all()) == 1


def test_only_administrators_maintain_templates(client, login_as):
    login_as("officer")
    assert client.get("/admin/reply-templates").status_code == 404  # hidden from other roles, and logged
    assert client.post("/admin/reply-templates", data=TEMPLATE).status_code == 404
    assert db.session.scalars(select(ReplyTemplate)).all() == []


def test_an_officer_picks_a_template_in_the_applicants_language_edits_and_sends_it(
    client, login_as, make_case, cast
):
    db.session.add(ReplyTemplate(**TEMPLATE))
    cast.applicant.locale = "en"
    case = make_case(state="under_review")
    template = db.session.scalars(select(ReplyTemplate)).one()
    login_as(cast.officer)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'id="reply-picker"' in page and "请补充发票" in page
    page = client.get(f"/cases/{case.number}?reply={template.id}").get_data(as_text=True)
    assert "Hello, please send a photo of the purchase invoice.</textarea>" in page
    edited = "Hello, please send a photo of the purchase invoice by Friday."
    assert client.post(f"/cases/{case.number}/messages", data={"body": edited}).status_code == 302
    assert db.session.scalars(select(Message.body).where(Message.case_id == case.id)).all()[-1] == edited
    switch_user(client, login_as, cast.applicant)
    page = client.get(f"/cases/{case.number}?reply={template.id}").get_data(as_text=True)
    assert 'id="reply-picker"' not in page and "Hello, please send a photo of the purchase invoice.</textarea>" not in page


def test_choosing_a_language_sets_the_language_of_the_users_e_mails(client, login_as):
    user = login_as("consumer")
    assert user.locale == "zh"
    client.post("/language", data={"lang": "en", "next": "/"})
    db.session.refresh(user)
    assert user.locale == "en"


def test_a_junk_reply_choice_leaves_the_message_box_empty(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.officer)
    for junk in ("abc", "0", "-4", str(2**70)):
        response = client.get(f"/cases/{case.number}?reply={junk}")
        assert response.status_code == 200
