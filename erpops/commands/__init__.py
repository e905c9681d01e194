"""Sub-commands of the `erpops` CLI; each module imports its heavy libraries lazily."""
