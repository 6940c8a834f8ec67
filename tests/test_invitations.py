"""Invitations and account administration: single-use expiring links, roles, and disabling that ends sessions."""

import re
from datetime import timedelta

from flask import g
from sqlalchemy import select

from tests.factories import PASSWORD
from tests.factories import gen_enterprise
from tests.factories import gen_user
from tracker.extensions import db
from tracker.models import Invitation
from tracker.models import OutboxMessage
from tracker.models import Role
from tracker.models import SecurityEvent
from tracker.models import User
from tracker.models import utcnow
from tracker.services import invitations

NEW_PASSWORD = "a long and quiet harbour"


def link_in_mail(recipient: str) -> str:
    """The invitation link of the newest e-mail to the address, as a path."""
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == recipient).order_by(OutboxMessage.id.desc())
    ).first()
    return re.search(r"http://[^/\s]+(/invitations/\S+)", message.body).group(1)


def test_an_admin_invites_an_enterprise_user_and_the_link_works_once(client, login_as, app):
    enterprise = gen_enterprise()
    login_as("admin")
    response = client.post("/admin/users/invite", data={
        "email": "First.User@Example.cn", "role": "enterprise", "enterprise_id": enterprise.id,
    })
    assert response.status_code == 302
    invitation = db.session.scalars(select(Invitation).where(Invitation.email == "first.user@example.cn")).one()
    path = link_in_mail("first.user@example.cn")
    token = path.rsplit("/", 1)[1]
    assert invitation.token_hash == invitations.hash_token(token) and token not in invitation.token_hash
    client.post("/logout")

    assert client.get(path).status_code == 200
    response = client.post(path, data={"display_name": "刘经理", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/enterprise/")
    user = db.session.scalars(select(User).where(User.email == "first.user@example.cn")).one()
    assert (user.role, user.enterprise_id, user.display_name) == ("enterprise", enterprise.id, "刘经理")
    assert client.get("/enterprise/").status_code == 200
    client.post("/logout")

    again = client.post(path, data={"display_name": "冒名者", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert again.status_code == 410
    assert client.get(path).status_code == 410
    assert db.session.scalars(select(User).where(User.display_name == "冒名者")).first() is None


def test_an_expired_link_opens_no_account(client, login_as, app):
    admin = gen_user(Role.ADMIN)
    invitation = invitations.invite(
        db.session, admin, email="late@example.cn", role=Role.EXPERT,
        now=utcnow() - invitations.INVITATION_LIFETIME - timedelta(minutes=1), link_for=lambda token: f"http://x/invitations/{token}",
    )
    db.session.flush()
    path = link_in_mail("late@example.cn")
    assert invitation.expires_at < utcnow()
    response = client.post(path, data={"display_name": "迟到", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410
    assert db.session.scalars(select(User).where(User.email == "late@example.cn")).first() is None


def test_a_weak_password_is_refused_and_the_link_still_works(client, app):
    admin = gen_user(Role.ADMIN)
    invitations.invite(db.session, admin, email="weak@example.cn", role=Role.OFFICER, now=utcnow(),
                       link_for=lambda token: f"http://x/invitations/{token}")
    path = link_in_mail("weak@example.cn")
    response = client.post(path, data={"display_name": "弱", "password": "12345678", "confirm": "12345678"})
    assert response.status_code == 422
    assert client.get(path).status_code == 200


def test_an_unknown_token_is_a_404(client, app, db_session):
    assert client.get("/invitations/not-a-real-token").status_code == 404


def test_a_new_invitation_replaces_the_pending_one(client, app):
    admin = gen_user(Role.ADMIN)
    for _ in range(2):
        invitations.invite(db.session, admin, email="twice@example.cn", role=Role.EXPERT, now=utcnow(),
                           link_for=lambda token: f"http://x/invitations/{token}")
    db.session.flush()
    first, second = db.session.scalars(select(Invitation).where(Invitation.email == "twice@example.cn")
                                       .order_by(Invitation.id)).all()
    assert first.revoked_at is not None and second.revoked_at is None


def fresh_request(test_client):
    """The test's app context is shared by every request, and Flask-Login caches the user in its `g`: forget it,
    as a new request in production starts without it, so that each client's cookie decides who is signed in."""
    g.pop("_login_user", None)
    return test_client


def test_disabling_a_user_ends_a_session_open_in_another_client(app, db_session, login_as, client):
    officer = gen_user(Role.OFFICER)
    other_client = app.test_client()
    response = other_client.post("/login", data={"email": officer.email, "password": PASSWORD})
    assert response.status_code == 302
    assert fresh_request(other_client).get("/account/password").status_code == 200

    fresh_request(client)
    login_as("admin")
    response = fresh_request(client).post(f"/admin/users/{officer.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert officer.active is False

    response = fresh_request(other_client).get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    relogin = fresh_request(other_client).post("/login", data={"email": officer.email, "password": PASSWORD})
    assert relogin.status_code == 200
    assert db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "account_disabled")).first()


def test_an_admin_changes_a_staff_role_but_not_an_enterprise_users(client, login_as, app):
    admin = login_as("admin")
    expert = gen_user(Role.EXPERT)
    enterprise_user = gen_user(Role.ENTERPRISE)
    assert client.post(f"/admin/users/{expert.id}/role", data={"role": "officer"}).status_code == 302
    assert expert.role == "officer"
    assert client.post(f"/admin/users/{enterprise_user.id}/role", data={"role": "officer"}).status_code == 409
    assert client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}).status_code == 409
    assert admin.active and enterprise_user.role == "enterprise"


def test_the_users_page_filters_and_is_for_admins_only(client, login_as, app):
    officer = gen_user(Role.OFFICER, display_name="筛选承办人")
    gen_user(Role.EXPERT, display_name="筛选专家")
    login_as("admin")
    page = client.get("/admin/users?role=officer&q=筛选").get_data(as_text=True)
    assert officer.email in page and "筛选专家" not in page
    worker = gen_user(Role.ENTERPRISE)
    page = client.get(f"/admin/users?enterprise={worker.enterprise_id}").get_data(as_text=True)
    assert worker.email in page and officer.email not in page
    client.post("/logout")
    login_as("officer")
    assert client.get("/admin/users").status_code == 404  # admin pages are hidden from other roles, and the attempt logged


def test_an_enterprise_user_invites_and_removes_colleagues_of_their_own_enterprise(client, login_as, app):
    manager = login_as("enterprise")
    colleague = gen_user(Role.ENTERPRISE, enterprise=manager.enterprise)
    response = client.post("/enterprise/colleagues/invite", data={"email": "colleague@example.cn"})
    assert response.status_code == 302
    invitation = db.session.scalars(select(Invitation).where(Invitation.email == "colleague@example.cn")).one()
    assert (invitation.role, invitation.enterprise_id) == ("enterprise", manager.enterprise_id)
    assert client.post(f"/enterprise/colleagues/{colleague.id}/remove").status_code == 302
    assert colleague.active is False
    assert client.post(f"/enterprise/colleagues/{manager.id}/remove").status_code == 409
    assert "colleague@example.cn" in client.get("/enterprise/colleagues").get_data(as_text=True)


def test_an_enterprise_user_cannot_invite_for_another_enterprise(app, db_session):
    manager = gen_user(Role.ENTERPRISE)
    other = gen_enterprise()
    try:
        invitations.invite(db.session, manager, email="x@example.cn", role=Role.ENTERPRISE, enterprise=other,
                           now=utcnow(), link_for=str)
    except invitations.InvitationError as refusal:
        assert refusal.code == "not_allowed"
    else:
        raise AssertionError("an enterprise user invited for another enterprise")
