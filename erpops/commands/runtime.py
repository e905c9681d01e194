"""What every command that runs a flow needs first: the stack up, Prefect pointed at it, the schema current."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State
    from rich.console import Console

    from infra.stack import Stack

T = TypeVar("T")


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


def outcome_of(flow_name: str, state: State, outcome: T | None) -> T:
    """A flow run's outcome; a run that ended without one (it crashed) raises its own error: a user's mistake
    becomes one line, a bug keeps its traceback."""
    if outcome is None:
        state.result()
        raise RuntimeError(f"the {flow_name} flow run ended {state.type.value} without an outcome")
    return outcome
