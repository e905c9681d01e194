"""Channels and payment methods become reference data; orders get freight, an origin and a full shipping
address; shipments get a delivery time and may lack a warehouse (migrated history).

- channels.code loses its CHECK against a fixed list: an admin adds a channel as a row. The five seeded
  channels keep their ids and Chinese names.
- payment_methods (code, name) is seeded with the former enum's values; payments.method becomes
  payments.payment_method_id, filled from the code.
- sales_orders.freight (minor units, >= 0), sales_orders.origin (erp | migration: whose rule the total
  follows), and ship_to_name, ship_to_phone, ship_country, ship_postcode next to the existing ship_* columns.
  Orders the legacy-key map names were migrated, so they get origin 'migration'.
- shipments.delivered_at, and shipments.warehouse_id may be NULL: a migrated historical shipment did
  not leave a warehouse this ERP knows, and moves no stock.

Downgrading fails while a channel or payment method outside the old lists, or a shipment without a
warehouse, exists: the old schema cannot hold them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_CHANNELS = ('tmall', 'jd', 'pinduoduo', 'douyin', 'webshop')
OLD_METHODS = ('alipay', 'wechat_pay', 'unionpay', 'cod', 'other')
PAYMENT_METHODS = [
    {"code": "alipay", "name": "支付宝"},
    {"code": "wechat_pay", "name": "微信支付"},
    {"code": "unionpay", "name": "银联"},
    {"code": "cod", "name": "货到付款"},
    {"code": "other", "name": "其他"},
]


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.drop_constraint(op.f('ck_channels_code'), 'channels', type_='check')
    op.create_check_constraint(op.f('ck_channels_code_not_blank'), 'channels', "btrim(code) <> ''")

    methods = op.create_table('payment_methods',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.CheckConstraint("btrim(code) <> ''", name=op.f('ck_payment_methods_code_not_blank')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_methods')),
    sa.UniqueConstraint('code', name=op.f('uq_payment_methods_code'))
    )
    op.bulk_insert(methods, PAYMENT_METHODS)
    op.add_column('payments', sa.Column('payment_method_id', sa.BigInteger(), nullable=True))
    op.execute("UPDATE payments p SET payment_method_id = m.id FROM payment_methods m WHERE m.code = p.method")
    op.alter_column('payments', 'payment_method_id', nullable=False)
    op.create_foreign_key(op.f('fk_payments_payment_method_id_payment_methods'), 'payments', 'payment_methods',
                          ['payment_method_id'], ['id'], ondelete='RESTRICT')
    op.drop_constraint(op.f('ck_payments_method'), 'payments', type_='check')
    op.drop_column('payments', 'method')

    op.add_column('sales_orders', sa.Column('freight', sa.BigInteger(), server_default='0', nullable=False))
    op.create_check_constraint(op.f('ck_sales_orders_freight_nonnegative'), 'sales_orders', 'freight >= 0')
    op.add_column('sales_orders', sa.Column('origin', sa.String(length=32), server_default='erp', nullable=False))
    op.create_check_constraint(op.f('ck_sales_orders_origin'), 'sales_orders', "origin IN ('erp', 'migration')")
    op.execute("""UPDATE sales_orders SET origin = 'migration' WHERE id IN (
                      SELECT m.target_id FROM legacy_key_map m WHERE m.entity = 'sales_orders' OR m.entity IN (
                          SELECT entity FROM migration_id_reservations WHERE table_name = 'sales_orders'
                          UNION SELECT entity FROM migration_changes WHERE table_name = 'sales_orders'))""")
    op.add_column('sales_orders', sa.Column('ship_to_name', sa.String(length=200), nullable=True))
    op.add_column('sales_orders', sa.Column('ship_to_phone', sa.String(length=32), nullable=True))
    op.add_column('sales_orders', sa.Column('ship_country', sa.String(length=64), nullable=True))
    op.add_column('sales_orders', sa.Column('ship_postcode', sa.String(length=16), nullable=True))

    op.add_column('shipments', sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
    op.alter_column('shipments', 'warehouse_id', existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    op.alter_column('shipments', 'warehouse_id', existing_type=sa.BigInteger(), nullable=False)
    op.drop_column('shipments', 'delivered_at')

    for column in ('ship_postcode', 'ship_country', 'ship_to_phone', 'ship_to_name', 'origin'):
        op.drop_column('sales_orders', column)
    op.drop_constraint(op.f('ck_sales_orders_freight_nonnegative'), 'sales_orders', type_='check')
    op.drop_column('sales_orders', 'freight')

    op.add_column('payments', sa.Column('method', sa.String(length=32), nullable=True))
    op.execute("UPDATE payments p SET method = m.code FROM payment_methods m WHERE m.id = p.payment_method_id")
    op.alter_column('payments', 'method', nullable=False)
    op.create_check_constraint(op.f('ck_payments_method'), 'payments', f"method IN ({_in(OLD_METHODS)})")
    op.drop_constraint(op.f('fk_payments_payment_method_id_payment_methods'), 'payments', type_='foreignkey')
    op.drop_column('payments', 'payment_method_id')
    op.drop_table('payment_methods')

    op.drop_constraint(op.f('ck_channels_code_not_blank'), 'channels', type_='check')
    op.create_check_constraint(op.f('ck_channels_code'), 'channels', f"code IN ({_in(OLD_CHANNELS)})")
