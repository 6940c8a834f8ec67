"""The sweep finds lapsed mediation and objection clocks through an index on the clock's name, status and due date

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 06:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_lapse', ['clock', 'status', 'due_on'], unique=False)


def downgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_lapse')
