"""Which suites a run names, made concrete: the plan's own ones read from its file, every folder absolute."""

from __future__ import annotations

from pathlib import Path

from erp_models.project.spec import load_plan
from erp_models.project.suites import BUILT_IN_SUITES, SuiteError, SuiteSpec, choose_suites


def erpops_checkout() -> Path:
    """The folder this erpops runs from; the built-in suites (tests/unit, ...) are relative to it."""
    return Path(__file__).resolve().parents[2]


def resolve_suites(names: list[str], plan_file: str | None = None, timeout_s: int | None = None) -> list[SuiteSpec]:
    """The suites to run with an absolute `cwd`; SuiteError (or PlanError) in one line when one cannot run here."""
    plan_suites: list[SuiteSpec] = []
    plan_dir = Path.cwd()
    if plan_file:
        plan, _ = load_plan(Path(plan_file))
        plan_suites, plan_dir = plan.test_suites, Path(plan_file).resolve().parent
    resolved: list[SuiteSpec] = []
    for spec in choose_suites(names, plan_suites):
        cwd = (plan_dir / spec.cwd).resolve() if spec.cwd else erpops_checkout()
        if not cwd.is_dir():
            raise SuiteError(f"test suite {spec.name}: its cwd {cwd} is not a folder")
        if BUILT_IN_SUITES.get(spec.name) == spec and not (cwd / spec.args[0]).exists():
            raise SuiteError(f"test suite {spec.name}: {spec.args[0]} not found in {cwd}; the built-in suites run "
                             "from an erpops checkout (a plan file's test_suites section can name others)")
        resolved.append(spec.model_copy(update={"cwd": str(cwd), "timeout_s": timeout_s or spec.timeout_s}))
    return resolved
