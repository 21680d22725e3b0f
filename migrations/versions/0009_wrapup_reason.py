"""the wrap-up reason an operator picks when closing after-call work

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:40:00

Nullable and without a default: calls wrapped up before this (or only by saving the intake
form) have no reason, and the figures never needed one.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wrapup_reason', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('wrapup_reason')
