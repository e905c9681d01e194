"""A person's decision in the Prefect UI: the flow run pauses for a form until a named person answers it.

The form's name field is required (no initial value, so the UI does not mark it optional, and `minLength` 1): the
UI refuses to resume without it, and the Prefect server checks a resumed run's input against the form's schema. A
name of blanks passes both, and a client may send anything, so the flow checks the name itself as well: an empty name,
or another name than the one expected, is refused and the form asked again (with the reason on it), up to `attempts`
times.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput

A = TypeVar("A", bound=RunInput)
ATTEMPTS = 3


@dataclass(frozen=True)
class Decision(Generic[A]):
    """The accepted answer, or None with why nobody decided (the time ran out, or every answer was refused)."""

    answer: A | None
    why_none: str = ""


def pause_key(*parts: str) -> str:
    """A pause key from free text: lower case, every other character a `-`."""
    return "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)


def ask_named(form: type[A], *, description: str, initial: dict[str, Any], name_of: Callable[[A], str],
              expected: str | None, key: str, timeout_s: int, attempts: int = ATTEMPTS) -> Decision[A]:
    """Pause for `form` until a non-empty name (`expected`, when given) answers; pause keys `key`, `key-2`, ..."""
    problem = ""
    for attempt in range(1, attempts + 1):
        asked = form.with_initial_data(description=problem + description, **initial)
        try:
            answer = pause_flow_run(wait_for_input=asked, timeout=timeout_s, poll_interval=2,
                                    key=key if attempt == 1 else f"{key}-{attempt}")
        except FlowPauseTimeout:
            return Decision(None, f"nobody decided within {timeout_s} s")
        name = name_of(answer).strip()
        if name and (expected is None or name == expected):
            return Decision(answer)
        why = "an empty name is refused" if not name else f"{name!r} is not {expected!r}"
        problem = f"**Refused: {why}** (attempt {attempt} of {attempts}).\n\n"
        print(f"{key}: {why}; asking again")
    return Decision(None, f"no accepted decision after {attempts} attempts")
