"""Operate phase: raise the risk "the monitor keeps failing" when its newest runs all failed.

An automation (`erpops ops automations apply`) runs this flow's deployment `ops-risk` when monitor runs fail
repeatedly: a Prefect automation cannot write to the ERP itself, so it starts this flow, which does. The flow reads
the monitor's newest runs from Prefect first, so "in a row" holds exactly (a success in between raises nothing).
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from tasks.ops.risk import newest_run_states, raise_monitor_risk


class OpsRiskOutcome(BaseModel):
    runs: list[str] = Field(description="state of each of the newest monitor runs, newest first")
    raised: str | None = Field(default=None, description="the risk code raised, when all of them failed")
    reason: str


@flow(name="ops-risk", log_prints=True)
def ops_risk(flow_name: str = "monitor", runs: int = 3) -> OpsRiskOutcome:
    """Raise OPS-MONITOR when the `runs` newest finished runs of `flow_name` all failed."""
    states = newest_run_states(flow_name, runs)
    if len(states) < runs or any(s not in ("FAILED", "CRASHED") for s in states):
        reason = f"the newest {runs} {flow_name} runs are {', '.join(states) or 'none'}: not {runs} failures in a row"
        print(reason)
        return OpsRiskOutcome(runs=states, reason=reason)
    code = raise_monitor_risk(runs)
    reason = (f"risk {code} raised" if code else "no plan loaded: no risk register to raise it in") + (
        f" after {runs} failed {flow_name} runs in a row")
    print(reason)
    return OpsRiskOutcome(runs=states, raised=code, reason=reason)
