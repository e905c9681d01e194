"""Vectorised transforms from raw legacy strings to typed target fields, with per-row reasons for failures.

Pure pandas: no I/O. `values` reads single values (numbers, money, datetimes); `batch` turns a batch of
raw rows into an entity's fields, with what was rejected or failed and why.
"""

from erp_models.migration.transform.batch import Batch, SeenHashes, TransformState, group_keys, transform_batch
from erp_models.migration.transform.values import (
    TransformError,
    apply_transform,
    datetime_text,
    finish_kind,
    to_datetime,
)

__all__ = ["Batch", "SeenHashes", "TransformError", "TransformState", "apply_transform", "datetime_text",
           "finish_kind", "group_keys", "to_datetime", "transform_batch"]
