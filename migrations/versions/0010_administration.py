"""Administration: how a rule set counts a receipt on a non-working day, resolved alerts, merged enterprises

Revision ID: 0010
Revises: 0002
Create Date: 2026-12-02 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rule_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('non_working_day_receipt', sa.String(length=10),
                                      server_default=sa.text("'day_one'"), nullable=False))

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolution_note', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_alerts_resolved_by_id_users'), 'users', ['resolved_by_id'], ['id'])

    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_enterprises_merged_into_id_enterprises'), 'enterprises',
                                    ['merged_into_id'], ['id'])


def downgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enterprises_merged_into_id_enterprises'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_alerts_resolved_by_id_users'), type_='foreignkey')
        batch_op.drop_column('resolution_note')
        batch_op.drop_column('resolved_by_id')

    with op.batch_alter_table('rule_sets', schema=None) as batch_op:
        batch_op.drop_column('non_working_day_receipt')
