"""Data exchange: webhook subscriptions, channel stock-sync endpoints, delivery attempts and dead letters.

Not ERP content (left out of fingerprints). Downgrading drops the subscriptions, endpoints, delivery log and
dead letters; the consumers' positions in outbox_consumers stay (plain rows of the outbox's own table).

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-04 00:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('exchange_deliveries',
    sa.Column('consumer', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('state', sa.Enum('pending', 'delivered', 'parked', name='state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), server_default='', nullable=False),
    sa.Column('first_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stock_pending', sa.Boolean(), server_default='false', nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'key', name=op.f('pk_exchange_deliveries')),
    info={'erp_content': False}
    )
    op.create_index('ix_exchange_deliveries_state_next', 'exchange_deliveries', ['state', 'next_attempt_at'], unique=False)
    op.create_table('webhook_subscriptions',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('event_types', postgresql.ARRAY(sa.String(length=64)), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions')),
    sa.UniqueConstraint('name', name=op.f('uq_webhook_subscriptions_name')),
    info={'erp_content': False}
    )
    op.create_table('channel_stock_endpoints',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('channel_id', sa.BigInteger(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('listed_only', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_channel_stock_endpoints_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_stock_endpoints')),
    sa.UniqueConstraint('channel_id', name=op.f('uq_channel_stock_endpoints_channel_id')),
    info={'erp_content': False}
    )
    op.create_table('exchange_dead_letters',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.Enum('webhook', 'stock', name='kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('consumer', sa.String(length=64), nullable=False),
    sa.Column('subscription_id', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.String(length=64), nullable=True),
    sa.Column('event_id', sa.BigInteger(), nullable=True),
    sa.Column('event_type', sa.String(length=64), nullable=True),
    sa.Column('sku', sa.String(length=64), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('body', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), server_default='', nullable=False),
    sa.Column('parked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replay_attempts', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscriptions.id'], name=op.f('fk_exchange_dead_letters_subscription_id_webhook_subscriptions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_dead_letters')),
    info={'erp_content': False}
    )
    op.create_index('ix_exchange_dead_letters_open', 'exchange_dead_letters', ['parked_at'], unique=False, postgresql_where='replayed_at IS NULL')
    op.create_index(op.f('ix_exchange_dead_letters_subscription_id'), 'exchange_dead_letters', ['subscription_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_exchange_dead_letters_subscription_id'), table_name='exchange_dead_letters')
    op.drop_index('ix_exchange_dead_letters_open', table_name='exchange_dead_letters', postgresql_where='replayed_at IS NULL')
    op.drop_table('exchange_dead_letters')
    op.drop_table('channel_stock_endpoints')
    op.drop_table('webhook_subscriptions')
    op.drop_index('ix_exchange_deliveries_state_next', table_name='exchange_deliveries')
    op.drop_table('exchange_deliveries')
