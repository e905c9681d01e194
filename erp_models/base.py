"""Declarative base, naming convention and shared column types for every ERP table."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, mapped_column

# Stable constraint names, so Alembic migrations and error messages never depend on
# names PostgreSQL would invent.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every ERP model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Surrogate keys are excluded from content fingerprints: two loads of the same data
# may draw different sequence values, yet hold the same business content.
IntPK = Annotated[
    int, mapped_column(BigInteger, primary_key=True, autoincrement=True, info={"fingerprint": False})
]
Code = Annotated[str, mapped_column(String(64))]
Name = Annotated[str, mapped_column(String(200))]
Currency = Annotated[str, mapped_column(String(3), server_default="CNY")]
# Money is always integer minor units (fen for CNY) next to a currency column.
Money = Annotated[int, mapped_column(BigInteger)]
CreatedAt = Annotated[
    datetime,
    mapped_column(DateTime(timezone=True), server_default=func.now(), info={"fingerprint": False}),
]
