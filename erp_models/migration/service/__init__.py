"""The migration's use cases over units of work: extract, transform, gate (through a `Gate` the caller passes),
quarantine, stage, resolve, upsert and reconcile; deltas and resumes. Plain functions and dataclasses, with no
orchestration: Prefect tasks (`tasks/migration`) wrap them, and tests call them directly."""
