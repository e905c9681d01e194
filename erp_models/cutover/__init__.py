"""The go-live cutover: the runbook a team rehearses, times and approves, as a pure domain model."""
