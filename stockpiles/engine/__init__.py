"""The shortfall engine: inputs (a read), the pure formulas (``stockpiles.shortfalls``), the store,
marks and drain, the lock, and the runs that tie them together. Callers use the names below."""

from stockpiles.engine.history import (
    history_start,
    shortfall_history_rebuild,
    shortfall_history_record,
)
from stockpiles.engine.inputs import (
    compute_isolated,
    inflows_by_pair,
    latest_report_subquery,
    shortfall_inputs,
    shortfall_pairs,
    shortfalls_compute,
    shortfalls_compute_with_failures,
)
from stockpiles.engine.lock import ENGINE_LOCK_KEY
from stockpiles.engine.marks import (
    DrainFlag,
    drainflag,
    shortfall_mark_item,
    shortfall_mark_pairs,
    shortfall_marks_pending,
    shortfall_request_drain,
)
from stockpiles.engine.run import (
    shortfall_alerts_sync_overdue,
    shortfall_history_rebuild_locked,
    shortfalls_drain,
    shortfalls_recompute,
    shortfalls_recompute_marked,
    stale_reporting_sync,
)
from stockpiles.engine.store import RESULT_COLUMNS, shortfalls_mark_failed, shortfalls_store

__all__ = [
    "ENGINE_LOCK_KEY", "RESULT_COLUMNS", "compute_isolated", "inflows_by_pair", "latest_report_subquery",
    "shortfalls_compute_with_failures",
    "DrainFlag", "drainflag", "shortfall_alerts_sync_overdue", "history_start", "shortfall_history_rebuild",
    "shortfall_history_rebuild_locked", "shortfall_history_record",
    "shortfall_inputs", "shortfall_mark_item", "shortfall_mark_pairs", "shortfall_marks_pending",
    "shortfall_pairs", "shortfall_request_drain", "shortfalls_compute", "shortfalls_drain",
    "shortfalls_mark_failed", "shortfalls_recompute", "shortfalls_recompute_marked", "shortfalls_store",
    "stale_reporting_sync",
]
