"""`erpops portal` and `erpops reports`: one-time sign-in links to the trial-run portal, signed report links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

portal_app = typer.Typer(help="The trial-run portal (/portal on the ERP API): one-time sign-in links.",
                         no_args_is_help=True)
reports_app = typer.Typer(help="Run reports served by the ERP API at /reports: signed links.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@portal_app.command()
def invite(
    user: Annotated[str, typer.Argument(help="The username to sign in; with --role, created when new.")],
    role: Annotated[str | None, typer.Option(help="The role to sign in as (default: the user's only role).")] = None,
    expires_hours: Annotated[float, typer.Option(min=0.02, max=720, help="Hours until the link expires.")] = 24.0,
    as_json: JsonOpt = False,
) -> None:
    """Print a one-time sign-in link to the portal for USER (it works once, until it expires)."""
    import getpass
    from datetime import timedelta

    from erp_models.portal.sign_in import invite as make_invite
    from erpops.commands.db import erp_work
    from infra.settings import get_settings

    with erp_work() as uow:
        made = make_invite(uow.session, username=user, role=role, actor=f"cli:{getpass.getuser()}",
                           expires_in=timedelta(hours=expires_hours))
        uow.commit()
    link = f"{get_settings().base_url}/portal/invite/{made.token}"
    if as_json:
        typer.echo(json.dumps({"link": link, "user": made.username, "role": made.role,
                               "expires_at": made.expires_at.isoformat()}))
        return
    typer.echo(link)
    typer.echo(f"one-time sign-in for {made.username} as {made.role}, until {made.expires_at:%Y-%m-%d %H:%M} UTC; "
               "the ERP API must be serving it (`erpops api`)", err=True)


@reports_app.command()
def link(
    path: Annotated[Path, typer.Argument(help="A report file under the state directory (ERPOPS_STATE_DIR).")],
    folder: Annotated[bool, typer.Option(help="Open every file in the report's folder (a Data Docs site).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Print a signed link that opens a report without a token, for ERPOPS_REPORT_LINK_TTL_H hours."""
    from erpops.commands.db import erp_work
    from infra.errors import ConfigError
    from infra.report_links import AREAS, served_path, signed_url
    from infra.settings import get_settings

    settings = get_settings()
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    if served_path(path, settings) is None:
        raise ConfigError(f"{path}: not under a report folder of {settings.state_dir.resolve()} "
                          f"({', '.join(AREAS)}); the API serves nothing else")
    with erp_work() as uow:
        url = signed_url(uow.session, path, folder=folder, settings=settings)
        uow.commit()
    if as_json:
        typer.echo(json.dumps({"link": url, "expires_in_h": settings.report_link_ttl_h}))
        return
    typer.echo(url)
