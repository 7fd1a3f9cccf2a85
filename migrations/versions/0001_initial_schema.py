"""Initial schema: slots, settings, job history, media objects, audit log, cleanup runs.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 19:13:38.451480

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_entity_entity_id', ['entity', 'entity_id'], unique=False)

    op.create_table('cleanup_run',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cleanup_run'))
    )
    with op.batch_alter_table('cleanup_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cleanup_run_started_at'), ['started_at'], unique=False)

    op.create_table('setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('slot',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slot'))
    )
    op.create_table('job_history',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('slot_id', sa.String(length=16), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('provider_ms', sa.Integer(), nullable=True),
    sa.Column('total_ms', sa.Integer(), nullable=True),
    sa.Column('input_bytes', sa.Integer(), nullable=True),
    sa.Column('is_test', sa.Boolean(), nullable=False),
    sa.Column('client_meta', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_job_history_slot_id_slot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_history'))
    )
    with op.batch_alter_table('job_history', schema=None) as batch_op:
        batch_op.create_index('ix_job_history_slot_id_started_at', ['slot_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_history_started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_history_status'), ['status'], unique=False)

    op.create_table('media_object',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('mime', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('slot_id', sa.String(length=16), nullable=True),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['job_history.id'], name=op.f('fk_media_object_job_id_job_history'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['media_object.id'], name=op.f('fk_media_object_parent_id_media_object'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_media_object_slot_id_slot'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_object')),
    sa.UniqueConstraint('path', name=op.f('uq_media_object_path')),
    sa.UniqueConstraint('token', name=op.f('uq_media_object_token'))
    )
    with op.batch_alter_table('media_object', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_object_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_object_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_media_object_kind_created_at', ['kind', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_object_parent_id'), ['parent_id'], unique=False)

    op.create_table('slot_template_media',
    sa.Column('slot_id', sa.String(length=16), nullable=False),
    sa.Column('media_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media_object.id'], name=op.f('fk_slot_template_media_media_id_media_object')),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_slot_template_media_slot_id_slot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('slot_id', 'media_id', name=op.f('pk_slot_template_media'))
    )


def downgrade():
    op.drop_table('slot_template_media')
    with op.batch_alter_table('media_object', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_object_parent_id'))
        batch_op.drop_index('ix_media_object_kind_created_at')
        batch_op.drop_index(batch_op.f('ix_media_object_job_id'))
        batch_op.drop_index(batch_op.f('ix_media_object_expires_at'))

    op.drop_table('media_object')
    with op.batch_alter_table('job_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_history_status'))
        batch_op.drop_index(batch_op.f('ix_job_history_started_at'))
        batch_op.drop_index('ix_job_history_slot_id_started_at')

    op.drop_table('job_history')
    op.drop_table('slot')
    op.drop_table('setting')
    with op.batch_alter_table('cleanup_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cleanup_run_started_at'))

    op.drop_table('cleanup_run')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity_entity_id')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
