"""Go-live as a flow: the runbook's steps (flows.cutover.executors) run, journalled and rolled back by
flows.cutover.flow."""

from flows.cutover.executors import GoNoGo
from flows.cutover.flow import CutoverOutcome, CutoverParams, cutover, run_cutover

__all__ = ["CutoverOutcome", "CutoverParams", "GoNoGo", "cutover", "run_cutover"]
