"""The forms a person answers in the Prefect UI (the milestone sign-off, the cutover's go/no-go) require a name, as
the UI shows them: with the initial values the flow gives them, the approver stays required with minLength 1 (an
initial empty name made the UI mark it "Optional" and drop the limit)."""

from __future__ import annotations

from typing import Any

import pytest
from prefect.input import RunInput

from flows.cutover import GoNoGo
from flows.decisions import pause_key
from flows.plan import SignOff


@pytest.mark.parametrize(("form", "initial"), [(SignOff, {}), (GoNoGo, {"go": True})])
def test_the_form_as_asked_requires_a_named_approver(form: type[RunInput], initial: dict[str, Any]) -> None:
    schema = form.with_initial_data(description="decide", **initial).model_json_schema()
    assert "approver" in schema["required"]
    assert schema["properties"]["approver"]["minLength"] == 1
    assert "default" not in schema["properties"]["approver"]


def test_pause_keys_are_lower_case_words_joined_by_dashes() -> None:
    assert pause_key("sign-off", "M1") == "sign-off-m1"
    assert pause_key("go-no-go", "Go / no-go!") == "go-no-go-go-no-go"


def test_the_sign_off_is_an_explicit_choice_with_nothing_preset() -> None:
    schema = SignOff.with_initial_data(description="decide").model_json_schema()
    assert "decision" in schema["required"]
    assert "default" not in schema["properties"]["decision"]
