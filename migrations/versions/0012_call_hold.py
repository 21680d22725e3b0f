"""a call on hold: since when, and the seconds of every hold added up

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:00:00

Both nullable without a default: calls before this were never held.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hold_seconds', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('hold_seconds')
        batch_op.drop_column('held_at')
