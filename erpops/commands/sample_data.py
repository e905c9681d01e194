"""`erpops sample-data`: write a synthetic legacy export (with realistic dirt) and the mapping that loads it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from erpops.sample_data.shapes import Shape

if TYPE_CHECKING:
    from erpops.sample_data.generator import SampleSummary


def sample_data(
    out_dir: Annotated[Path, typer.Argument(
        metavar="OUT_DIR", show_default=False,
        help="Folder to write into; created if missing. Only the files this command writes are overwritten.")],
    orders: Annotated[int, typer.Option("--orders", min=1, max=5_000_000,
                                        help="Orders to generate; customers, SKUs and purchase orders scale "
                                             "with them.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="The same seed writes the same bytes.")] = 7,
    dirty_rate: Annotated[float, typer.Option("--dirty-rate", min=0.0, max=0.5,
                                              help="Share of rows that get each kind of defect.")] = 0.02,
    shape: Annotated[Shape, typer.Option("--shape", help="default: one file per entity, with dirt; marketplace: "
                                                         "a relational dump joined by keys (--dirty-rate does not "
                                                         "apply).")] = Shape.default,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Write a synthetic legacy export of a Chinese e-commerce company, plus its mapping.yaml."""
    from erpops.sample_data.generator import MAX_DIRTY_RATE, MAX_ORDERS, generate
    from infra.errors import ConfigError

    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir}: exists and is not a directory")
    if not 1 <= orders <= MAX_ORDERS:
        raise ConfigError(f"--orders must be between 1 and {MAX_ORDERS}, not {orders}")
    if not 0 <= dirty_rate <= MAX_DIRTY_RATE:
        raise ConfigError(f"--dirty-rate must be between 0 and {MAX_DIRTY_RATE}, not {dirty_rate}")
    from rich.console import Console

    try:
        with Console(stderr=True, quiet=as_json).status(f"writing {orders:,} orders and their master data ..."):
            if shape is Shape.marketplace:
                from erpops.sample_data.marketplace import generate_marketplace

                summary = generate_marketplace(out_dir, orders=orders, seed=seed)
            else:
                summary = generate(out_dir, orders=orders, seed=seed, dirty_rate=dirty_rate)
    except OSError as exc:
        where = exc.filename or out_dir
        raise ConfigError(f"{where}: cannot write the sample data ({exc.strerror or exc})") from None
    if as_json:
        typer.echo(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_summary(summary)


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
    console.print(files)
    console.print(kinds)
    console.print(f"mapping: {summary.mapping}\nnext: erpops migrate --mapping {summary.mapping}")
