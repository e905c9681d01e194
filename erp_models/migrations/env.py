"""Alembic environment: runs migrations on the connection or URL that erpops hands over."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

import erp_models
from erp_models.base import Base

config = context.config
target_metadata = Base.metadata
assert erp_models  # every area is imported, so the metadata is complete


def _url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    url = url or os.environ.get("ERPOPS_DATABASE_URL")
    if not url:
        raise SystemExit("no database: pass -x url=postgresql+psycopg://... or set ERPOPS_DATABASE_URL")
    return str(url)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
