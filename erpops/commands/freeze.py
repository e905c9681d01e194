"""`erpops freeze` / `erpops unfreeze`: stop and reopen business writes through the API (a go-live cutover).

While frozen the API answers every business write, the channel webhook included, with 503 `frozen` and a
`Retry-After`; reads keep working. The freeze lives in the ERP database, so every API worker sees it at once.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from erp_models.system.freeze import FreezeState

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _document(state: FreezeState | None, *, frozen: bool) -> dict[str, object]:
    if state is None:
        return {"frozen": frozen}
    return {"frozen": frozen, "frozen_at": state.frozen_at.isoformat(), "frozen_by": state.frozen_by,
            "reason": state.reason, "retry_after_s": state.retry_after_s,
            "released_at": state.released_at.isoformat() if state.released_at else None,
            "released_by": state.released_by, "exempt_prefix": state.exempt_prefix}


def _actor() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


def freeze(
    reason: Annotated[str, typer.Option(help="Why, shown to API clients in the 503's detail.")] = "",
    retry_after: Annotated[int | None, typer.Option(
        min=1, max=86_400, show_default=False, help="Seconds in the Retry-After header; default 60.")] = None,
    status: Annotated[bool, typer.Option("--status", help="Only show whether writes are frozen.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Freeze business writes through the API, once the writes in flight have committed (or show --status)."""
    from erp_models.errors import InvalidInput
    from erp_models.system.freeze import DEFAULT_RETRY_AFTER_S, current_freeze
    from erp_models.system.freeze import freeze as freeze_writes
    from erpops.commands.db import erp_work

    if status and (reason or retry_after is not None):
        raise InvalidInput("--status only shows the freeze; it takes no --reason or --retry-after")
    with erp_work() as uow:
        if status:
            state = current_freeze(uow.session)
        else:
            state = freeze_writes(uow.session, by=_actor(), reason=reason,
                                  retry_after_s=retry_after or DEFAULT_RETRY_AFTER_S)
            uow.commit()
    if as_json:
        typer.echo(json.dumps(_document(state, frozen=state is not None)))
    elif state is None:
        typer.echo("business writes are open")
    else:
        typer.echo(state.message)
        if state.exempt_prefix:
            typer.echo(f"exempted: users whose name starts with {state.exempt_prefix!r} (a smoke test)")


def unfreeze(as_json: JsonOpt = False) -> None:
    """Open business writes through the API again."""
    from erp_models.system.freeze import release
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        state = release(uow.session, by=_actor())
        uow.commit()
    if as_json:
        typer.echo(json.dumps(_document(state, frozen=False)))
    elif state is None:
        typer.echo("business writes were not frozen; nothing to do")
    else:
        typer.echo(f"business writes are open again (frozen since {state.frozen_at.isoformat(timespec='seconds')})")
