"""Ingest rejections per minute (the statistics' "rejected" figure).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ingest_rejection',
    sa.Column('minute', sa.DateTime(), nullable=False),
    sa.Column('slot_id', sa.String(length=16), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('minute', 'slot_id', 'provider', 'code', name=op.f('pk_ingest_rejection'))
    )


def downgrade():
    op.drop_table('ingest_rejection')
