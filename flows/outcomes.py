"""A flow run's outcome from its final state, for the wrappers that run a flow with `return_state=True`."""

from __future__ import annotations

from typing import TypeVar

from prefect.client.schemas.objects import State

T = TypeVar("T")


def outcome_of_state(state: State, kind: type[T], flow_name: str) -> T:
    """The run's outcome, also when it ended Failed with one (a negative verdict); the error that stopped it is
    raised (a user's mistake stays one line)."""
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, BaseException):
        raise outcome
    if not isinstance(outcome, kind):
        raise TypeError(f"the {flow_name} flow run ended {state.type.value} without its {kind.__name__}")
    return outcome
