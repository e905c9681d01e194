"""The migration pipeline's tasks: extract, transform, gate, stage, upsert, reconcile."""
