"""Prefect tasks: small units of work that open their own unit of work and return summaries."""
