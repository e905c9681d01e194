"""Status and code enumerations of the ERP, and the SQL type that stores them as checked strings."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def checked_enum(enum_cls: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR(32) column type holding the enum's values, guarded by CHECK constraint ``ck_<table>_<name>``.

    Non-native, so adding a value is a plain constraint change instead of an ALTER TYPE.
    """
    return Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        name=name,
        create_constraint=True,
        validate_strings=True,
    )


class PurchaseOrderStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class StockReason(enum.StrEnum):
    OPENING = "opening"
    RECEIPT = "receipt"
    SHIPMENT = "shipment"
    ADJUSTMENT = "adjustment"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    RETURN_RESTOCK = "return_restock"
    COUNT = "count"
    REVERSAL = "reversal"


class SalesOrderStatus(enum.StrEnum):
    PLACED = "placed"
    PAID = "paid"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class PaymentKind(enum.StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


class OrderOrigin(enum.StrEnum):
    """Where a sales order came from: the ERP keeps the totals of the orders it places; migrated ones keep the
    legacy system's."""

    ERP = "erp"  # placed through the API or a channel webhook
    MIGRATION = "migration"  # loaded from a legacy export


class ReturnDisposition(enum.StrEnum):
    RESTOCK = "restock"
    SCRAP = "scrap"


class RoleName(enum.StrEnum):
    """The built-in roles; roles.name is not constrained to them, so more can be added as data."""

    ADMIN = "admin"
    PM = "pm"
    PURCHASER = "purchaser"
    WAREHOUSE = "warehouse"
    SALES = "sales"
    CHANNEL_INTEGRATION = "channel_integration"
    VIEWER = "viewer"


class MilestoneStatus(enum.StrEnum):
    PENDING = "pending"  # not judged yet
    PASSED = "passed"  # every criterion holds and no sign-off is needed
    FAILED = "failed"  # a criterion fails or has no evidence
    AWAITING_APPROVAL = "awaiting_approval"  # criteria hold; a person must sign off
    APPROVED = "approved"
    REJECTED = "rejected"  # criteria held, but the approver refused


class RequirementPriority(enum.StrEnum):
    MUST = "must"
    SHOULD = "should"
    COULD = "could"


class RequirementStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    IMPLEMENTED = "implemented"
    VERIFIED = "verified"
    REJECTED = "rejected"


class RiskStatus(enum.StrEnum):
    OPEN = "open"
    RAISED = "raised"
    MITIGATED = "mitigated"
    CLOSED = "closed"


class FeedbackSeverity(enum.StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    SUGGESTION = "suggestion"


class FeedbackStatus(enum.StrEnum):
    OPEN = "open"
    TRIAGED = "triaged"
    RESOLVED = "resolved"
    CLOSED = "closed"


class MigrationMode(enum.StrEnum):
    LOAD = "load"
    DRY_RUN = "dry_run"
    DELTA = "delta"
    RESUME = "resume"
    UNDO = "undo"


class MigrationRunStatus(enum.StrEnum):
    RUNNING = "running"
    PASSED = "passed"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNDONE = "undone"
    ROLLED_BACK = "rolled_back"


class CheckpointPhase(enum.StrEnum):
    """The two phases a migrated entity checkpoints its batches in."""

    STAGED = "staged"
    LOADED = "loaded"


class LoadStrategy(enum.StrEnum):
    """How a migration target's rows reach the ERP (its registry entry says which)."""

    UPSERT = "upsert"  # row by row through the legacy-key map
    LEDGER_POSTING = "ledger_posting"  # as stock-ledger movements that bring a balance to the migrated one


class MigrationPhase(enum.StrEnum):
    """Where a migration run's time goes, in the order an entity passes through them."""

    EXTRACT = "extract"  # reading the source (and a delta's first look at it)
    TRANSFORM = "transform"
    GATE = "gate"
    STAGE = "stage"  # COPY into staging, the quarantine, repeated keys and orphans leaving staging
    RESOLVE = "resolve"  # references to ids, new ids through the legacy-key map
    UPSERT = "upsert"
    RECONCILE = "reconcile"


# A run that did not finish (killed, or failed): it may be resumed, and it keeps its staging and id reservations.
UNFINISHED_MIGRATION = [MigrationRunStatus.RUNNING, MigrationRunStatus.FAILED]
# The runs that load into the ERP and set a watermark (a resume continues one of them).
LOADING_MODES = [MigrationMode.LOAD, MigrationMode.DELTA]
