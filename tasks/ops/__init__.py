"""Operations: the monitor, recovery, upgrade, analysis and feedback work as plain functions and Prefect tasks."""
