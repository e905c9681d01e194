"""`erpops sample-data`: write a synthetic legacy export (with realistic dirt) and the mapping that loads it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from erpops.commands.tables import print_table
from erpops.sample_data.shapes import Shape

if TYPE_CHECKING:
    from erpops.sample_data.generator import SampleSummary

N = TypeVar("N", int, float)


def sample_data(
    out_dir: Annotated[Path, typer.Argument(
        metavar="OUT_DIR", show_default=False,
        help="Folder to write into; created if missing. Only the files this command writes are overwritten.")],
    # Numbers arrive as text and are checked below: typer's own checks print a boxed usage block, not one line.
    orders: Annotated[str, typer.Option("--orders", metavar="N",
                                        help="Orders to generate (1 to 5,000,000); customers, SKUs and purchase "
                                             "orders scale with them.")] = "200",
    seed: Annotated[str, typer.Option("--seed", metavar="S", help="The same seed writes the same bytes.")] = "7",
    dirty_rate: Annotated[str, typer.Option("--dirty-rate", metavar="R",
                                            help="Share of rows that get each kind of defect (0 to 0.5).")] = "0.02",
    shape: Annotated[str, typer.Option("--shape", metavar="SHAPE",
                                       help="default: one file per entity, with dirt; marketplace: a relational "
                                            "dump joined by keys (--dirty-rate does not apply).")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Write a synthetic legacy export of a Chinese e-commerce company, plus its mapping.yaml."""
    from erpops.sample_data.generator import MAX_DIRTY_RATE, MAX_ORDERS, generate
    from infra.errors import ConfigError

    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir}: exists and is not a directory")
    orders_n = _number("--orders", orders, int, 1, MAX_ORDERS)
    seed_n = _number("--seed", seed, int)
    rate = _number("--dirty-rate", dirty_rate, float, 0.0, MAX_DIRTY_RATE)
    try:
        chosen = Shape(shape.strip())
    except ValueError:
        raise ConfigError(f"--shape: {shape!r} is not a shape (choose {', '.join(s.value for s in Shape)})") from None
    from rich.console import Console

    try:
        with Console(stderr=True, quiet=as_json).status(f"writing {orders_n:,} orders and their master data ..."):
            if chosen is Shape.marketplace:
                from erpops.sample_data.marketplace import generate_marketplace

                summary = generate_marketplace(out_dir, orders=orders_n, seed=seed_n)
            else:
                summary = generate(out_dir, orders=orders_n, seed=seed_n, dirty_rate=rate)
    except OSError as exc:
        where = exc.filename or out_dir
        raise ConfigError(f"{where}: cannot write the sample data ({exc.strerror or exc})") from None
    if as_json:
        typer.echo(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_summary(summary)


def _number(option: str, text: str, kind: type[N], low: N | None = None, high: N | None = None) -> N:
    """`text` as a number of `kind` within [low, high], or one ConfigError line naming the option."""
    from infra.errors import ConfigError

    what = "a whole number" if kind is int else "a number"
    try:
        value = kind(text.strip().replace("_", ""))
    except ValueError:
        raise ConfigError(f"{option}: {text!r} is not {what}") from None
    if value != value or (low is not None and value < low) or (high is not None and value > high):  # NaN too
        raise ConfigError(f"{option} must be between {low:,} and {high:,}, not {text}")
    return value


def _print_summary(summary: SampleSummary) -> None:
    from rich.console import Console
    from rich.table import Table

    files = Table("file", "encoding", "rows", "defects", title=f"sample export in {summary.out_dir} "
                  f"({summary.orders} orders, seed {summary.seed}, dirty rate {summary.dirty_rate})")
    for name, rows in summary.files.items():
        defects = summary.defects_by_file.get(name, {})
        files.add_row(name, summary.encodings[name], f"{rows:,}",
                      ", ".join(f"{kind} {count}" for kind, count in defects.items()) or "-")
    kinds = Table("defect", "rows", "what the mapping does with it", title="injected defects")
    for kind, count in summary.defects.items():
        kinds.add_row(kind, f"{count:,}", summary.handling[kind])
    console = Console()
    print_table(console, files)
    print_table(console, kinds)
    console.print(f"mapping: {summary.mapping}\nnext: erpops migrate --mapping {summary.mapping}")
