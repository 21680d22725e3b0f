"""division codes for respondents and routing rules; forwarding instructions

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-03 09:00:00

The free-text regions stay (they are what the screens show, and a rule whose text names no
known division keeps matching by text); each distinct text that names one division gets its
code here, so existing rules and cases route by division from now on.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('division', sa.String(length=6), nullable=True))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('respondent_division', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('forward_instructions', sa.Text(), nullable=True))

    _codes_for_texts('routing_rules', 'region', 'division')
    _codes_for_texts('tickets', 'respondent_region', 'respondent_division')


def _codes_for_texts(table, text_column, code_column):
    """Give every row whose text names one known division (东城区, 北京, 北京市海淀区) its code;
    one UPDATE per distinct text, so a large case table costs one pass per region spelled."""
    from routing.divisions import from_name  # pure: reads the shipped division list only

    bind = op.get_bind()
    rows = sa.table(table, sa.column(text_column, sa.String), sa.column(code_column, sa.String))
    texts = bind.execute(sa.select(rows.c[text_column]).where(rows.c[text_column].is_not(None)).distinct())
    for (text,) in texts.fetchall():
        code = from_name(text)
        if code is not None:
            bind.execute(rows.update().where(rows.c[text_column] == text).values({code_column: code}))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('forward_instructions')
        batch_op.drop_column('respondent_division')

    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_column('division')
