"""The implementation plan file: goals, scope, phases, budget, vendors, milestones and risks, validated."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from erp_models.enums import RequirementPriority
from erp_models.loadtest.profiles import LoadTestSpec
from erp_models.ops.plan_section import OperationsSpec
from erp_models.project.criteria import CriterionError, parse_criterion
from erp_models.project.spec_checks import check_plan, unique
from erp_models.project.suites import SuiteSpec
from erp_models.yaml_files import load_yaml_model

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
WEIGHT_TOLERANCE = Decimal("0.0001")


class PlanError(ValueError):
    """A plan file that cannot be used; the message is one line naming the file and the place."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kpi(Strict):
    name: Text
    baseline: float | None = None
    target: float
    unit: str = ""


class Goal(Strict):
    code: Code
    statement: Annotated[str, Field(min_length=1, max_length=500)]
    kpis: list[Kpi] = Field(default_factory=list)


class Requirement(Strict):
    code: Code
    title: Text
    module: Code
    priority: RequirementPriority = RequirementPriority.MUST


class Scope(Strict):
    modules: list[Code] = Field(min_length=1)
    data_sources: list[Text] = Field(default_factory=list)
    integrations: list[Text] = Field(default_factory=list)
    requirements: list[Requirement] = Field(default_factory=list)


class Phase(Strict):
    code: Code
    name_zh: Text
    name_en: Text
    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _ends_after_start(self) -> Phase:
        if self.ends_on < self.starts_on:
            raise ValueError(f"phase {self.code} ends on {self.ends_on}, before it starts on {self.starts_on}")
        return self


class BudgetLine(Strict):
    phase: Code
    category: Code
    amount: Amount


class Spend(Strict):
    phase: Code
    category: Code
    amount: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
    spent_on: date
    description: Annotated[str, Field(min_length=1, max_length=500)]


class Budget(Strict):
    currency: Literal["CNY"] = "CNY"
    lines: list[BudgetLine] = Field(min_length=1)
    spend: list[Spend] = Field(default_factory=list)


class Vendor(Strict):
    name: Text
    scores: dict[Code, Annotated[Decimal, Field(ge=0, le=10)]]


class Vendors(Strict):
    criteria: dict[Code, Annotated[Decimal, Field(gt=0, le=1)]] = Field(min_length=1)
    candidates: list[Vendor] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights_and_scores(self) -> Vendors:
        total = sum(self.criteria.values(), Decimal(0))
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise ValueError(f"criteria weights sum to {total}, not 1 ({', '.join(self.criteria)})")
        for vendor in self.candidates:
            if missing := sorted(set(self.criteria) - set(vendor.scores)):
                raise ValueError(f"vendor {vendor.name!r} has no score for {', '.join(missing)}")
            if unknown := sorted(set(vendor.scores) - set(self.criteria)):
                raise ValueError(f"vendor {vendor.name!r} is scored on unknown criteria {', '.join(unknown)}")
        return self


class Milestone(Strict):
    code: Code
    name: Text
    phase: Code
    owner: Annotated[str, Field(min_length=1, max_length=64)]
    due_on: date
    approval: Literal["required", "none"] = "none"
    criteria: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _criteria_parse(self) -> Milestone:
        for expression in self.criteria:
            try:
                parse_criterion(expression)
            except CriterionError as exc:
                raise ValueError(f"milestone {self.code} criterion {expression!r}: {exc}") from None
        return self


class Risk(Strict):
    code: Code
    title: Text
    likelihood: Annotated[int, Field(ge=1, le=5)]
    impact: Annotated[int, Field(ge=1, le=5)]
    mitigation: Annotated[str, Field(min_length=1)]
    owner: Annotated[str, Field(min_length=1, max_length=64)]
    trigger: Code | None = Field(default=None, description="the milestone whose failed gate raises this risk")


class Project(Strict):
    code: Code
    name: Text
    currency: Literal["CNY"] = "CNY"
    starts_on: date
    ends_on: date


class Plan(Strict):
    project: Project
    goals: list[Goal] = Field(min_length=1)
    scope: Scope
    phases: list[Phase] = Field(min_length=1)
    budget: Budget
    vendors: Vendors
    milestones: list[Milestone] = Field(min_length=1)
    risks: list[Risk] = Field(default_factory=list)
    loadtest: LoadTestSpec | None = Field(default=None, description="load-test profiles; built-ins when absent")
    test_suites: list[SuiteSpec] = Field(default_factory=list, description="pytest suites `erpops test run` knows")
    operations: OperationsSpec = Field(default_factory=OperationsSpec,
                                       description="what the operations flows measure against; defaults when absent")

    @field_validator("test_suites")
    @classmethod
    def _unique_suites(cls, suites: list[SuiteSpec]) -> list[SuiteSpec]:
        unique("test suite", [s.name for s in suites])
        return suites

    @field_validator("phases")
    @classmethod
    def _unique_phases(cls, phases: list[Phase]) -> list[Phase]:
        unique("phase", [p.code for p in phases])
        return phases

    @model_validator(mode="after")
    def _references_and_dates(self) -> Plan:
        check_plan(self)
        return self


def load_plan(path: Path) -> tuple[Plan, str]:
    """The validated plan and the sha256 of its text; PlanError names the file and the problem."""
    return load_yaml_model(path, Plan, PlanError, "plan file")
