"""Permissions per module action, and which built-in role holds which: the source of truth for the database."""

from __future__ import annotations

from erp_models.enums import RoleName

PERMISSIONS: dict[str, str] = {
    "catalogue.read": "read SKUs, products, warehouses and suppliers",
    "catalogue.write": "create and change SKUs, warehouses and suppliers",
    "inventory.read": "read stock levels",
    "inventory.adjust": "adjust stock with a reason",
    "inventory.transfer": "transfer stock between warehouses",
    "inventory.reserve": "reserve and release stock outside orders",
    "inventory.count": "post cycle counts",
    "inventory.plan": "set reorder rules and read reorder suggestions",
    "procurement.read": "read purchase orders",
    "procurement.create": "create purchase orders",
    "procurement.approve": "approve purchase orders",
    "procurement.receive": "receive goods against purchase orders",
    "procurement.close": "close or cancel purchase orders",
    "sales.read": "read sales orders",
    "sales.place_order": "place sales orders",
    "sales.cancel": "cancel sales orders",
    "sales.pay": "record payments and refunds",
    "sales.ship": "ship sales orders",
    "sales.return": "receive returns",
    "sales.vocabulary": "add sales channels and payment methods",
    "channel.ingest": "ingest marketplace orders through the channel webhook",
    "channel.map_sku": "map a channel's SKU to ours",
    "audit.read": "read the audit log",
    "project.read": "read the implementation project: milestones, feedback and training",
    "project.feedback.submit": "report trial-run feedback",
    "project.feedback.triage": "triage, resolve and close trial-run feedback",
    "project.training.manage": "schedule training sessions and record attendance",
    "reports.read": "read run reports: quarantined rows, Data Docs, charts, load-test reports, manuals",
    "system.read": "read whether business writes are frozen",
    "system.freeze": "freeze and unfreeze business writes through the API (go-live cutover)",
}

_READS = {p for p in PERMISSIONS if p.endswith(".read")}
_PROJECT_STAFF = {"project.read", "project.feedback.submit"}  # everyone in the trial run reports feedback

ROLE_PERMISSIONS: dict[RoleName, frozenset[str]] = {
    RoleName.ADMIN: frozenset(PERMISSIONS),
    RoleName.PM: frozenset(_READS | {"inventory.plan", "project.feedback.submit", "project.feedback.triage",
                                     "project.training.manage"}),
    RoleName.PURCHASER: frozenset({
        "catalogue.read", "catalogue.write", "inventory.read", "inventory.plan", "procurement.read",
        "procurement.create", "procurement.approve", "procurement.close",
    } | _PROJECT_STAFF),
    RoleName.WAREHOUSE: frozenset({
        "catalogue.read", "inventory.read", "inventory.adjust", "inventory.transfer", "inventory.reserve",
        "inventory.count", "procurement.read", "procurement.receive", "sales.read", "sales.ship", "sales.return",
    } | _PROJECT_STAFF),
    RoleName.SALES: frozenset({
        "catalogue.read", "inventory.read", "sales.read", "sales.place_order", "sales.cancel", "sales.pay",
        "sales.return",
    } | _PROJECT_STAFF),
    RoleName.CHANNEL_INTEGRATION: frozenset({
        "catalogue.read", "inventory.read", "sales.read", "sales.place_order", "sales.pay", "channel.ingest",
        "channel.map_sku",
    }),
    RoleName.VIEWER: frozenset(_READS - {"audit.read", "reports.read"}),  # quarantined rows hold legacy data
}

ROLE_DESCRIPTIONS: dict[RoleName, str] = {
    RoleName.ADMIN: "everything, including the audit log",
    RoleName.PM: "project manager: reads everything, plans replenishment, runs training and triages feedback",
    RoleName.PURCHASER: "buys: purchase orders, suppliers, SKUs, replenishment",
    RoleName.WAREHOUSE: "receives, counts, moves, ships and takes back goods",
    RoleName.SALES: "places, cancels and settles sales orders, handles returns",
    RoleName.CHANNEL_INTEGRATION: "a marketplace connector: ingests orders and maps channel SKUs",
    RoleName.VIEWER: "reads business data",
}
