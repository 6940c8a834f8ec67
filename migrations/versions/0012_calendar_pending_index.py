"""A partial index on the few clocks whose due date waits for a calendar year, so the sweep's first step reads no others

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_calendar_pending', ['status'], unique=False,
                              postgresql_where=sa.text('calendar_pending IS true'),
                              sqlite_where=sa.text('calendar_pending IS 1'))


def downgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_calendar_pending')
