"""The sweep's indexes: unmarked clocks by status and due date (partial), and lapsed clocks by name, status and due date

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 06:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_sweep')
        batch_op.create_index('ix_deadlines_sweep', ['status', 'due_on'], unique=False,
                              postgresql_where=sa.text('overdue_at IS NULL'),
                              sqlite_where=sa.text('overdue_at IS NULL'))
        batch_op.create_index('ix_deadlines_lapse', ['clock', 'status', 'due_on'], unique=False)


def downgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_lapse')
        batch_op.drop_index('ix_deadlines_sweep')
        batch_op.create_index('ix_deadlines_sweep', ['status', 'overdue_at', 'due_on'], unique=False)
