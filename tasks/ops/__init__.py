"""Operations: thin Prefect tasks around the erp_models.ops services (analysis, monitoring, drills, feedback)."""
