"""Master data of the sample export: suppliers, categories, products, SKUs, warehouses, stock and customers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import product as combinations

from erpops.sample_data.dirt import Dirt, Sink, yuan
from erpops.sample_data.vocab import (
    CATEGORIES,
    GIVEN_NAMES,
    INJECTIONS,
    NOTE,
    PRODUCT_KINDS,
    REGIONS,
    SEO_WORDS,
    SUPPLIERS,
    SURNAMES,
    WAREHOUSES,
    ProductKind,
)


@dataclass(frozen=True)
class Sku:
    code: str
    price: int  # list price in fen


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def customer_code(index: int) -> str:
    """The legacy id of the index-th customer (0-based)."""
    return f"CU{index + 1:08d}"


def ean13(body: str) -> str:
    """12 digits plus their EAN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def write_suppliers(sink: Sink, rng: random.Random, count: int) -> list[str]:
    codes = []
    for i, (name, province, city) in enumerate(SUPPLIERS[:count]):
        code = f"GYS{i + 1:03d}"
        sink.write([code, name, person(rng), mobile(rng), province, city, rng.choice((30, 30, 45, 60, 90))])
        codes.append(code)
    return codes


def write_categories(sink: Sink) -> None:
    for row in CATEGORIES:
        sink.write(row)


def write_warehouses(sink: Sink) -> None:
    for row in WAREHOUSES:
        sink.write(row)


def _variants(kind: ProductKind, rng: random.Random) -> list[str]:
    specs = [";".join(f"{dim}:{value}" for (dim, _), value in zip(kind.dimensions, combo, strict=True))
             for combo in combinations(*(values for _, values in kind.dimensions))]
    return rng.sample(specs, min(len(specs), rng.randint(1, 4)))


def write_catalogue(products: Sink, skus: Sink, rng: random.Random, dirt: Dirt, sku_count: int) -> list[Sku]:
    """Products with one to four SKUs each until there are `sku_count` SKUs; bad products have no SKUs."""
    plans: list[tuple[ProductKind, str, str, list[str]]] = []
    total = 0
    while total < sku_count:
        kind = rng.choice(PRODUCT_KINDS)
        variants = _variants(kind, rng)[:sku_count - total]
        plans.append((kind, rng.choice(kind.names), rng.choice(kind.brands), variants))
        total += len(variants)
    bad = dirt.slots(len(plans), ("overlong_text", "injection"))
    made: list[Sku] = []
    barcode_base = 2_000_000_000 + rng.randrange(10**9)
    extra = len(plans)
    for index, (kind, name, brand, variants) in enumerate(plans):
        code = f"P{index + 1:06d}"
        products.write([code, name, kind.category, brand])
        price = (rng.randint(*kind.price_yuan) // 10 * 10 + rng.choice((0, 9, 9))) * 100
        weight = rng.randint(*kind.weight_g)
        for number, spec in enumerate(variants, start=1):
            sku = Sku(f"{code}-{number:02d}", price)
            text = yuan(price, grouped=True)
            if dirt.pick(skus.name, ("mixed_decimal",)):
                text = dirt.money(price)
            skus.write([sku.code, code, ean13(f"69{barcode_base + len(made):010d}"), spec, weight, text])
            made.append(sku)
        for defect in bad.get(index, []):
            extra += 1
            dirt.note(products.name, defect)
            products.write(_bad_product(f"P{extra:06d}", kind, brand, defect, dirt.rng))
    return made


def _bad_product(code: str, kind: ProductKind, brand: str, defect: str, rng: random.Random) -> list[str]:
    """A draft listing nothing refers to: a 300-character SEO title, or an injection string."""
    name = rng.choice(kind.names)
    if defect == "overlong_text":
        name = (name + " " + SEO_WORDS * 10)[:300]
    elif rng.random() < 0.5:
        name = name + INJECTIONS[1]
    else:
        brand = INJECTIONS[2]
    return [code, name, kind.category, brand]


def write_opening_stock(sink: Sink, rng: random.Random, dirt: Dirt, skus: list[Sku]) -> None:
    for sku in skus:
        for warehouse in rng.sample(WAREHOUSES, rng.randint(1, len(WAREHOUSES))):
            row: list[object] = [sku.code, warehouse[0], rng.randint(1, 50) * 10]
            defect = dirt.pick(sink.name, ("negative_qty", "exact_duplicate"))
            if defect == "negative_qty":
                row[2] = -rng.randint(1, 20)
            sink.write(row)
            if defect == "exact_duplicate":
                sink.write(row)


def _customer(rng: random.Random, code: str) -> list[str]:
    province, city, district, streets = rng.choice(REGIONS)
    address = (f"{rng.choice(streets)}{rng.randint(1, 999)}号{rng.randint(1, 30)}幢"
               f"{rng.randint(1, 6)}单元{rng.randint(1, 32)}{rng.randint(1, 4):02d}室")
    return [code, person(rng), mobile(rng), province, city, district, address]


def write_customers(sink: Sink, rng: random.Random, dirt: Dirt, count: int) -> None:
    """`count` customers that orders refer to, plus junk sign-ups (no orders) carrying the bad text."""
    bad = dirt.slots(count, ("null_required", "overlong_text", "injection"))
    extra = count
    for index in range(count):
        row = _customer(rng, customer_code(index))
        sink.write(row)
        if dirt.pick(sink.name, ("exact_duplicate",)):
            sink.write(row)
        for defect in bad.get(index, []):
            junk = _customer(dirt.rng, customer_code(extra))
            extra += 1
            dirt.note(sink.name, defect)
            if defect == "null_required":
                junk[1] = ""
            elif defect == "overlong_text":
                junk[6] = (junk[6] + NOTE * 20)[:600]
            else:
                variant = dirt.rng.randrange(len(INJECTIONS))
                if variant == 1:
                    junk[6] += INJECTIONS[1]
                else:
                    junk[1] = INJECTIONS[variant]
            sink.write(junk)
