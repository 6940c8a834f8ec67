"""Two clicks on one invitation link at the same moment open one account (file SQLite and PostgreSQL)."""

import threading

from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_user
from tracker.extensions import db
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.services import invitations
from tracker.services.invitations import InvitationError


def test_a_link_used_twice_at_once_opens_one_account(databases):
    app = databases.migrated_app("invitation_race")
    with app.app_context():
        admin = gen_user(Role.ADMIN)
        tokens = []
        invitations.invite(db.session, admin, email="race@example.cn", role=Role.EXPERT, now=utcnow(),
                           link_for=lambda token: tokens.append(token) or token)
        db.session.commit()
        db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def accept(slot: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                invitations.accept_invitation(
                    db.session, app.extensions["password_hasher"], tokens[0],
                    display_name=f"点击{slot}", password="a long and quiet harbour", now=utcnow(),
                )
                db.session.commit()
                outcomes[slot] = "opened"
            except InvitationError as refusal:
                db.session.rollback()
                outcomes[slot] = refusal.code
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(slot,)) for slot in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["opened", "used"], outcomes
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == "race@example.cn")) == 1
        db.session.remove()
        db.engine.dispose()
    databases.drop(app.config["SQLALCHEMY_DATABASE_URI"])
