"""Go-live cutover: the domain side of the runbook's steps."""
