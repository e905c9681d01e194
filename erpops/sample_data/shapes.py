"""The layouts `erpops sample-data --shape` writes."""

from enum import StrEnum


class Shape(StrEnum):
    """`default`: one file per entity of a Chinese shop, with dirt; `marketplace`: a relational dump (orders,
    items, payments, customers, products joined by hex keys)."""

    default = "default"
    marketplace = "marketplace"
