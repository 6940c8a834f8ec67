"""Administrators maintain the taxonomy in both languages; the filing form offers it in the visitor's."""

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import TaxonomyTerm


def test_a_term_added_on_the_page_is_offered_on_the_filing_form_in_each_language(client, login_as):
    login_as("admin")
    page = client.get("/admin/taxonomy").get_data(as_text=True)
    assert 'data-term="household_appliances"' in page
    response = client.post("/admin/taxonomy/category", data={
        "code": "e_bikes", "name_zh": "电动自行车", "name_en": "Electric bicycles"})
    assert response.status_code == 302
    term = db.session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.code == "e_bikes")).one()
    assert (term.vocabulary, term.active) == ("category", True)
    client.post("/logout")
    chinese = client.get("/file/complaint").get_data(as_text=True)
    assert '<option value="e_bikes">电动自行车</option>' in chinese
    client.post("/language", data={"lang": "en", "next": "/file"})
    english = client.get("/file/complaint").get_data(as_text=True)
    assert '<option value="e_bikes">Electric bicycles</option>' in english
    assert "电动自行车" not in english


def test_renaming_and_retiring_a_term(client, login_as):
    admin = login_as("admin")
    term = db.session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.vocabulary == "issue")).first()
    response = client.post(f"/admin/taxonomy/terms/{term.id}", data={"name_zh": "新名称", "name_en": "New name"})
    assert response.status_code == 302
    db.session.refresh(term)
    assert (term.name_zh, term.name_en, term.active) == ("新名称", "New name", False)
    client.post("/logout")
    assert f'value="{term.code}"' not in client.get("/file/complaint").get_data(as_text=True)
    login_as(admin)
    client.post(f"/admin/taxonomy/terms/{term.id}", data={"name_zh": "新名称", "name_en": "New name", "active": "y"})
    client.post("/logout")
    assert f'<option value="{term.code}">新名称</option>' in client.get("/file/complaint").get_data(as_text=True)


def test_a_term_needs_both_names_and_a_new_plain_code(client, login_as):
    login_as("admin")
    existing = db.session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.vocabulary == "category")).first()
    taken = client.post("/admin/taxonomy/category", data={"code": existing.code, "name_zh": "重复", "name_en": "Dup"})
    assert taken.status_code == 409
    bad_code = client.post("/admin/taxonomy/category", data={"code": "电器", "name_zh": "电器", "name_en": "x"})
    assert bad_code.status_code == 422 and "小写字母" in bad_code.get_data(as_text=True)
    no_english = client.post("/admin/taxonomy/issue", data={"code": "noise", "name_zh": "噪音", "name_en": " "})
    assert no_english.status_code == 422
    blank = client.post(f"/admin/taxonomy/terms/{existing.id}", data={"name_zh": "", "name_en": "x"})
    assert blank.status_code == 422
    db.session.refresh(existing)
    assert existing.name_zh != ""
    assert client.post("/admin/taxonomy/colours", data={"code": "red"}).status_code == 404
    assert client.post("/admin/taxonomy/terms/999999999", data={"name_zh": "x", "name_en": "x"}).status_code == 404
    assert db.session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.code.in_(["noise", "电器"]))).first() is None
