"""The trial-run portal: one-time sign-in links, portal sessions, failed sign-ins (rate limit), feedback
screenshots, shared signing keys (report links), and invitees' own confirmation of training attendance.

Old rows stay valid: the new column is nullable and every other change is a new table.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0019'
down_revision: Union[str, Sequence[str], None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('portal_invites',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_invites')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_portal_invites_token_hash')),
    info={'erp_content': False}
    )
    op.create_table('portal_login_failures',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_login_failures')),
    info={'erp_content': False}
    )
    op.create_index('ix_portal_login_failures_client_at', 'portal_login_failures', ['client', 'at'], unique=False)
    op.create_table('portal_sessions',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('session_hash', sa.String(length=64), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('signed_in_with', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_sessions')),
    sa.UniqueConstraint('session_hash', name=op.f('uq_portal_sessions_session_hash')),
    info={'erp_content': False}
    )
    op.create_index(op.f('ix_portal_sessions_username'), 'portal_sessions', ['username'], unique=False)
    op.create_table('signing_keys',
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('purpose', name=op.f('pk_signing_keys')),
    info={'erp_content': False}
    )
    op.create_table('feedback_attachments',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('feedback_id', sa.BigInteger(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp')", name=op.f('ck_feedback_attachments_image_type')),
    sa.CheckConstraint('size_bytes BETWEEN 1 AND 5242880', name=op.f('ck_feedback_attachments_size_range')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_feedback_attachments_feedback_id_feedback'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_feedback_attachments_stored_name')),
    info={'erp_content': False}
    )
    op.create_index(op.f('ix_feedback_attachments_feedback_id'), 'feedback_attachments', ['feedback_id'], unique=False)
    op.add_column('training_attendance', sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('training_attendance', 'confirmed_at')
    op.drop_index(op.f('ix_feedback_attachments_feedback_id'), table_name='feedback_attachments')
    op.drop_table('feedback_attachments')
    op.drop_table('signing_keys')
    op.drop_index(op.f('ix_portal_sessions_username'), table_name='portal_sessions')
    op.drop_table('portal_sessions')
    op.drop_index('ix_portal_login_failures_client_at', table_name='portal_login_failures')
    op.drop_table('portal_login_failures')
    op.drop_table('portal_invites')
