"""What every command that runs a flow needs first: the stack up, Prefect pointed at it, the schema current."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from infra.stack import Stack


def stack_for_flows(console: Console, *, schema_current: bool = True) -> Stack:
    """Bring up (or reuse) PostgreSQL and the Prefect server, and route this process's flow runs there."""
    from erpops.commands.db import connected_engine
    from infra.settings import get_settings
    from infra.stack import bring_up, use_stack_in_this_process

    settings = get_settings()
    with console.status("starting the stack ..."):
        stack = bring_up(settings)
        use_stack_in_this_process(stack, settings)
        # A run's logs go to the Prefect UI; the terminal keeps the summary and one line per problem.
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "CRITICAL"
        connected_engine(schema_current=schema_current)
    return stack
