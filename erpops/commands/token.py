"""`erpops token`: issue and revoke API tokens (a token is printed once and stored only as a hash)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

app = typer.Typer(help="API tokens: issue (printed once, stored hashed) and revoke.", no_args_is_help=True)


@app.command()
def create(
    user: Annotated[str, typer.Option("--user", help="Username; created when new.")],
    role: Annotated[str, typer.Option("--role", help="admin, pm, purchaser, warehouse, sales, ...")],
    expires_days: Annotated[int | None, typer.Option(min=1, help="Days until the token expires.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Issue a token for USER in ROLE and print it once."""
    import getpass
    from datetime import timedelta

    from erp_models.security.services import issue_token
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        issued = issue_token(uow.session, username=user, role=role, actor=f"cli:{getpass.getuser()}",
                             expires_in=timedelta(days=expires_days) if expires_days else None)
        uow.commit()
    if as_json:
        typer.echo(json.dumps({"token": issued.token, "token_id": issued.token_id, "user": issued.username,
                               "role": issued.role, "expires_at": str(issued.expires_at or "") or None}))
        return
    typer.echo(issued.token)
    typer.echo(f"token {issued.token_id} for {issued.username} as {issued.role}; it is not shown again", err=True)


@app.command()
def revoke(token_id: Annotated[str, typer.Argument(help="The 8-character id inside the token.")]) -> None:
    """Revoke a token by its id (the part after `erp_`)."""
    import getpass

    from erp_models.security.services import revoke_token
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        revoke_token(uow.session, token_id=token_id, actor=f"cli:{getpass.getuser()}")
        uow.commit()
    typer.echo(f"revoked {token_id}")
