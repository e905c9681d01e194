"""Infrastructure: settings, database engines and units of work, and the embedded runtime stack."""
