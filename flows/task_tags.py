"""Task runs without their flow run's tags.

Prefect asks the server for concurrency slots of every tag a task run carries before the task starts (one call per
task run, about 30 ms here), whether or not any tag has a limit. erpops tags flow runs for the runs list
(`phase:*`, `mapping:*`, `mode:*`) and sets no tag concurrency limits (a work pool's limit bounds runs), so a flow
whose tasks are many and short runs them untagged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect.context import TagsContext


@contextmanager
def untagged_tasks() -> Iterator[None]:
    """Within the block, task runs get no tags from the flow run's context (their own `@task(tags=...)` stay)."""
    with TagsContext(current_tags=set()):
        yield
