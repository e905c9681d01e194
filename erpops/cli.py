"""The `erpops` command line. Heavy libraries are imported inside commands, so `--help` stays fast."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import warnings
from typing import NoReturn

import typer

from erpops.commands import (
    api,
    backup,
    cutover,
    db,
    delivery,
    deploy,
    evidence,
    freeze,
    loadtest,
    manual,
    migrate,
    ops,
    plan,
    portal,
    sample_data,
    smoke,
    stack,
    suites,
    token,
    webhooks,
)

app = typer.Typer(
    name="erpops",
    help="Run the implementation of an e-commerce ERP as Prefect workflows, from plan to operation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(token.app, name="token")
app.add_typer(plan.app, name="plan")
app.add_typer(evidence.app, name="evidence")
app.add_typer(migrate.app, name="migrate")
app.add_typer(suites.app, name="test")
app.add_typer(loadtest.app, name="loadtest")
app.add_typer(backup.app, name="backup")
app.add_typer(cutover.app, name="cutover")
app.add_typer(ops.app, name="ops")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(webhooks.exchange_app, name="exchange")
app.add_typer(delivery.training_app, name="training")
app.add_typer(delivery.feedback_app, name="feedback")
app.add_typer(portal.portal_app, name="portal")
app.add_typer(portal.reports_app, name="reports")
app.command()(api.api)
app.command()(freeze.freeze)
app.command()(freeze.unfreeze)
app.command()(manual.manual)
app.command("sample-data")(sample_data.sample_data)
app.command()(smoke.smoke)
stack.register(app)
deploy.register_commands(app)


def main() -> None:
    """Entry point: user errors end as one line on stderr and a non-zero exit, never a traceback."""
    # platformdirs warns when XDG_RUNTIME_DIR is missing (containers, CI): nothing a user can act on, and on
    # stderr it would turn a one-line error into three.
    warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs")
    try:
        try:
            app()
        except KeyboardInterrupt:
            print("erpops: interrupted", file=sys.stderr)
            sys.exit(130)
        except Exception as exc:
            from erpops.errors import user_message

            message = user_message(exc)
            if message is None:
                raise  # a bug: its traceback, and an ordinary exit
            code, line = message
            print(f"erpops: {line}", file=sys.stderr)
            sys.exit(code)
    except SystemExit as done:
        leave(done.code)


def leave(code: object) -> NoReturn:
    """Exit as Python would, without its final teardown: other threads are waited for, exit handlers run (logging,
    Prefect's log and event workers, temporary directories), output is flushed; then the process ends, skipping the
    second or so CPython takes to free every object of GX, pandas and Prefect, which no one is waiting for."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code or 0)
