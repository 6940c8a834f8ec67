"""Security: server-side sessions, role and request id on security events, PostgreSQL roles for the audit table

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

#: Owns audit_events; nobody logs in as it, so no connection of the application can drop its triggers.
AUDIT_OWNER_ROLE = "tracker_audit_owner"
#: The application's group role: every table but audit_events read and written, audit_events only appended to.
APP_ROLE = "tracker_app"


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_reason', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        separate_audit_owner()


def separate_audit_owner():
    """audit_events belongs to a role nobody logs in as; the application's role may only SELECT and INSERT there."""
    for role in (AUDIT_OWNER_ROLE, APP_ROLE):
        op.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
            f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
        )
    # The migrating role must be a member of the new owner to hand the table over (and to alter it later).
    op.execute(
        f"DO $$ BEGIN IF NOT pg_has_role(current_user, '{AUDIT_OWNER_ROLE}', 'MEMBER') "
        f"THEN EXECUTE format('GRANT {AUDIT_OWNER_ROLE} TO %I', current_user); END IF; END $$"
    )
    op.execute(f"ALTER TABLE audit_events OWNER TO {AUDIT_OWNER_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")


def restore_single_owner():
    """Give audit_events back to the migrating role and take the application role's privileges away."""
    op.execute(f"ALTER DEFAULT PRIVILEGES REVOKE USAGE, SELECT ON SEQUENCES FROM {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
    op.execute("DO $$ BEGIN EXECUTE format('ALTER TABLE audit_events OWNER TO %I', current_user); END $$")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        restore_single_owner()
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.drop_column('request_id')
        batch_op.drop_column('role')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
