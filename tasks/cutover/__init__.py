"""Go-live cutover: the runbook's steps as plain functions and thin Prefect tasks."""
