"""Sales vocabularies as data: channels and payment methods, which an admin adds without a schema change.

The Chinese marketplaces and the usual payment methods are seeded by the schema migrations; a foreign
marketplace or a new wallet is one more row, added through the API or loaded by a migration.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.errors import Conflict, InvalidInput, NotFound
from erp_models.integration.outbox import record_events
from erp_models.security.audit import audit

# Codes travel in URLs (/channels/{channel}/orders), so no slash, space or colon.
CODE_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
NAME_MAX = 200


class Vocabulary(enum.StrEnum):
    """A vocabulary and its table."""

    CHANNELS = "channels"
    PAYMENT_METHODS = "payment_methods"

    @property
    def noun(self) -> str:
        return "channel" if self is Vocabulary.CHANNELS else "payment method"


@dataclass(frozen=True)
class Term:
    code: str
    name: str


def list_terms(session: Session, *, vocabulary: Vocabulary) -> list[Term]:
    """Every code of the vocabulary with its display name, by code."""
    rows = session.execute(text(f"SELECT code, name FROM {vocabulary.value} ORDER BY code"))
    return [Term(str(code), str(name)) for code, name in rows]


def add_term(session: Session, *, vocabulary: Vocabulary, code: str, name: str, actor: str) -> Term:
    """Add a code; Conflict when it exists already, also when it differs only in letter case."""
    if not CODE_RULE.fullmatch(code):
        raise InvalidInput(f"{vocabulary.noun} code {code!r} must be 1-32 letters, digits, '_', '.' or '-', "
                           "starting with a letter or digit", code=code)
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidInput(f"{vocabulary.noun} name must be 1-{NAME_MAX} characters", name=name)
    table = vocabulary.value
    taken = session.scalar(text(f"SELECT code FROM {table} WHERE lower(code) = lower(:c)"), {"c": code})
    if taken is not None:
        raise Conflict(f"{vocabulary.noun} {taken!r} exists already", code=taken)
    new_id = session.scalar(text(f"""INSERT INTO {table} (code, name) VALUES (:c, :n)
                                     ON CONFLICT (code) DO NOTHING RETURNING id"""), {"c": code, "n": name})
    if new_id is None:  # added by a concurrent request since the check above
        raise Conflict(f"{vocabulary.noun} {code!r} exists already", code=code)
    event = "ChannelAdded" if vocabulary is Vocabulary.CHANNELS else "PaymentMethodAdded"
    record_events(session, [(event, vocabulary.noun.replace(" ", "_"), int(new_id), {"code": code, "name": name})])
    audit(session, actor=actor, action=f"sales.add_{vocabulary.noun.replace(' ', '_')}", entity=table,
          ids=[int(new_id)], code=code, name=name)
    return Term(code, name)


KNOWN_SHOWN = 12  # an error line names at most this many known codes


def term_id(session: Session, *, vocabulary: Vocabulary, code: str) -> int:
    """The id of a code; NotFound naming the known codes when there is no such code (a request that names a channel
    or payment method names a resource, as one that names a SKU does)."""
    found = session.scalar(text(f"SELECT id FROM {vocabulary.value} WHERE code = :c"), {"c": code})
    if found is None:
        codes = list(session.scalars(text(f"SELECT code FROM {vocabulary.value} ORDER BY id")))  # seeded first
        known = ", ".join(codes[:KNOWN_SHOWN]) + (f" and {len(codes) - KNOWN_SHOWN} more" if len(codes) > KNOWN_SHOWN
                                                   else "")
        raise NotFound(f"unknown {vocabulary.noun} {code!r} (known: {known})", code=code)
    return int(found)


def channel_id(session: Session, code: str) -> int:
    return term_id(session, vocabulary=Vocabulary.CHANNELS, code=code)


def payment_method_id(session: Session, code: str) -> int:
    return term_id(session, vocabulary=Vocabulary.PAYMENT_METHODS, code=code)
