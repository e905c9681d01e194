"""Secrets the erpops processes share through the database (the API's workers, flows that write links)."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from erp_models.portal.models import SigningKey


def signing_secret(session: Session, purpose: str) -> str:
    """The secret for `purpose`, made on first use; every process that asks gets the same one."""
    session.execute(insert(SigningKey).values(purpose=purpose, secret=secrets.token_urlsafe(48))
                    .on_conflict_do_nothing(index_elements=["purpose"]))
    return str(session.scalar(select(SigningKey.secret).where(SigningKey.purpose == purpose)))
