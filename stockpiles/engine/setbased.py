"""The full recompute on PostgreSQL: today's figures of the pairs whose formulas are plain arithmetic,
computed by the database in one statement, and the Python formulas (``stockpiles.shortfalls``) for the rest.

Why a second rendering of the formulas is allowed here (docs/performance.md §1): ``stockpiles.shortfalls``
stays the one definition; this is a restriction of it to the pairs where it reduces to closed-form
arithmetic, for one date (today), used by one caller (the full recompute), and it is held identical to the
formulas by ``tests/stockpiles/test_engine_setbased.py`` (generated worlds: every column, status, coverage,
months to recover, not recovering, recovery date). Every pair that falls outside that restriction goes
through the Python formulas with exactly the inputs the all-Python path would give it:

- a pair with a contracted inflow (a schedule line that the engine's read would include) — the projection
  month by month is Python's;
- a pair with a quantity of 2^53 or more anywhere (float coverage and ``ceil`` stop being the same in both),
  or months to recover beyond a 32-bit integer.

For the remaining pairs, with D the date and no inflows, ``compute_shortfall`` is exactly: on hand = the
current stock if reported on or before D; guideline = the latest-started national guideline in force, else
the latest-started alliance-wide one; owed = Σ max(0, pledged − shipped) over non-cancelled national-stock
pledges announced by D; rate = the latest-started own production rate; months to recover = ceil(shortfall /
rate) (0 without shortfall, none without a positive rate); recovery date = D + months, clamped to the month's
end, none past year 9999.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.db import connection, transaction
from django.utils import timezone

from coordination.models import Nation
from pledges.models import Pledge
from stockpiles import hooks, shortfalls
from stockpiles.engine.store import COMPUTED_STATE, RESULT_COLUMNS
from stockpiles.models import (
    CurrentStock,
    Order,
    OrderScheduleLine,
    ProductionRate,
    Shortfall,
    StockpileGuideline,
)

Pair = tuple[int, int]  # (nation_id, item_id)

EXACT = 2 ** 53  # below this every integer is a float exactly: coverage and ceil(shortfall / rate) agree
INT4 = 2 ** 31  # Shortfall.months_to_recover is a 32-bit integer


def applies() -> bool:
    """The set-based path runs on PostgreSQL only (SQLite keeps the all-Python full recompute)."""
    return transaction.get_connection().vendor == "postgresql"


def _tables() -> dict[str, str]:
    return {
        "stock": CurrentStock._meta.db_table, "guideline": StockpileGuideline._meta.db_table,
        "rate": ProductionRate._meta.db_table, "pledge": Pledge._meta.db_table, "order": Order._meta.db_table,
        "line": OrderScheduleLine._meta.db_table, "nation": Nation._meta.db_table,
        "shortfall": Shortfall._meta.db_table,
    }


# The pairs and their raw quantities, as the engine's read (``engine.inputs.shortfall_inputs``) gathers them
# for D; ``inflows``: the pair has a schedule line that read would include (then Python computes it).
_CALC = """
CREATE TEMP TABLE shortfall_calc ON COMMIT DROP AS
WITH gn AS (
    SELECT DISTINCT ON (nation_id, item_id) nation_id, item_id, minimum_quantity
    FROM {guideline}
    WHERE nation_id IS NOT NULL AND effective_from <= %(d)s AND (effective_to IS NULL OR effective_to >= %(d)s)
    ORDER BY nation_id, item_id, effective_from DESC
),
ga AS (
    SELECT DISTINCT ON (item_id) item_id, minimum_quantity
    FROM {guideline}
    WHERE nation_id IS NULL AND effective_from <= %(d)s AND (effective_to IS NULL OR effective_to >= %(d)s)
    ORDER BY item_id, effective_from DESC
),
r AS (
    SELECT DISTINCT ON (nation_id, item_id) nation_id, item_id, units_per_month
    FROM {rate}
    WHERE effective_from <= %(d)s AND line_id IS NULL
    ORDER BY nation_id, item_id, effective_from DESC
),
o AS (
    SELECT donor_id AS nation_id, item_id, SUM(GREATEST(quantity - shipped_quantity, 0)) AS owed
    FROM {pledge}
    WHERE source = %(national_stock)s AND status <> %(pledge_cancelled)s AND announced_on <= %(d)s
    GROUP BY donor_id, item_id
),
inflow AS (
    SELECT DISTINCT o.nation_id, o.item_id
    FROM {line} l JOIN {order} o ON o.id = l.order_id
    WHERE o.ordered_on <= %(d)s AND o.status <> %(order_cancelled)s
      AND (l.received_on IS NULL OR l.received_on > %(received_after)s)
),
pairs AS (
    SELECT nation_id, item_id FROM {stock}
    UNION SELECT nation_id, item_id FROM o
    UNION SELECT nation_id, item_id FROM r
    UNION SELECT nation_id, item_id FROM gn WHERE minimum_quantity > 0
    UNION SELECT n.id, ga.item_id FROM {nation} n CROSS JOIN ga
          WHERE n.role = %(ally)s AND ga.minimum_quantity > 0
            AND NOT EXISTS (SELECT 1 FROM gn WHERE gn.nation_id = n.id AND gn.item_id = ga.item_id)
),
base AS (
    SELECT p.nation_id, p.item_id,
           CASE WHEN cs.as_of <= %(d)s THEN cs.quantity::numeric END AS on_hand,
           COALESCE(gn.minimum_quantity, ga.minimum_quantity)::numeric AS guideline,
           COALESCE(o.owed, 0)::numeric AS owed,
           r.units_per_month::numeric AS rate
    FROM pairs p
    LEFT JOIN {stock} cs ON cs.nation_id = p.nation_id AND cs.item_id = p.item_id
    LEFT JOIN gn ON gn.nation_id = p.nation_id AND gn.item_id = p.item_id
    LEFT JOIN ga ON ga.item_id = p.item_id
    LEFT JOIN o ON o.nation_id = p.nation_id AND o.item_id = p.item_id
    LEFT JOIN r ON r.nation_id = p.nation_id AND r.item_id = p.item_id
    WHERE NOT EXISTS (SELECT 1 FROM inflow i WHERE i.nation_id = p.nation_id AND i.item_id = p.item_id)
),
calc AS (
    SELECT base.*, on_hand - owed AS available,
           CASE WHEN on_hand IS NULL OR guideline IS NULL THEN 0
                ELSE GREATEST(0, guideline - (on_hand - owed)) END AS shortfall
    FROM base
)
SELECT calc.*,
       (COALESCE(abs(on_hand), 0) < %(exact)s AND COALESCE(abs(guideline), 0) < %(exact)s
        AND abs(owed) < %(exact)s AND COALESCE(abs(rate), 0) < %(exact)s
        AND COALESCE(abs(available), 0) < %(exact)s AND shortfall < %(exact)s
        AND CASE WHEN shortfall > 0 AND rate > 0 AND shortfall < %(exact)s AND rate < %(exact)s
                 THEN ceil(shortfall::float8 / rate::float8) < %(int4)s ELSE true END) AS exact
FROM calc;
SELECT nation_id, item_id FROM shortfall_calc WHERE NOT exact
UNION SELECT DISTINCT o.nation_id, o.item_id
    FROM {line} l JOIN {order} o ON o.id = l.order_id
    WHERE o.ordered_on <= %(d)s AND o.status <> %(order_cancelled)s
      AND (l.received_on IS NULL OR l.received_on > %(received_after)s)
"""

# The figures of the exact pairs, in ``RESULT_COLUMNS`` order after (nation_id, item_id).
_FIGURES = """
SELECT nation_id, item_id, %(d)s::date AS as_of, on_hand::bigint, guideline::bigint, owed::bigint,
       available::bigint, shortfall::bigint,
       CASE WHEN on_hand IS NOT NULL AND guideline > 0 THEN available::float8 / guideline::float8 END AS coverage,
       rate::bigint, months::integer AS months_to_recover,
       (shortfall > 0 AND months IS NULL) AS not_recovering,
       CASE WHEN on_hand IS NULL THEN %(no_report)s WHEN guideline IS NULL THEN %(no_guideline)s
            WHEN shortfall > 0 THEN %(below)s ELSE %(ok)s END AS status,
       0::bigint AS contracted_inflow,
       CASE WHEN shortfall > 0 AND months IS NOT NULL AND %(month_index)s + months < 120000
            THEN (%(d)s::date + make_interval(months => months::integer))::date END AS recovers_on
FROM (
    SELECT shortfall_calc.*,
           CASE WHEN on_hand IS NULL OR guideline IS NULL THEN NULL
                WHEN shortfall <= 0 THEN 0
                WHEN rate > 0 THEN ceil(shortfall::float8 / rate::float8)
           END AS months
    FROM shortfall_calc WHERE exact
) f
"""


def compute(*, as_of: dt.date) -> tuple[dict[Pair, shortfalls.ShortfallResult], set[Pair], dt.date]:
    """Today's results of the exact pairs (computed by the database, left in the temporary table
    ``shortfall_calc`` for ``store``), the pairs that must go through the Python formulas, and the
    ``received_after`` date to read their inputs with."""
    t = _tables()
    cutoff = received_after(as_of=as_of)
    params = {
        "d": as_of, "received_after": cutoff, "ally": Nation.Role.ALLY,
        "national_stock": Pledge.Source.NATIONAL_STOCK, "pledge_cancelled": Pledge.Status.CANCELLED,
        "order_cancelled": Order.Status.CANCELLED, "exact": EXACT, "int4": INT4,
        "no_report": shortfalls.NO_REPORT, "no_guideline": shortfalls.NO_GUIDELINE,
        "below": shortfalls.BELOW_GUIDELINE, "ok": shortfalls.OK,
        "month_index": as_of.year * 12 + as_of.month - 1,
    }
    calc, rest = _CALC.format(**t).split(";\n", 1)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS shortfall_calc")
        cursor.execute(calc, params)
        cursor.execute(rest, params)
        python_pairs = set(cursor.fetchall())
        cursor.execute(_FIGURES, params)
        rows = cursor.fetchall()
    result = shortfalls.ShortfallResult
    results = {
        (n, i): result(as_of=d, on_hand=on_hand, guideline=guideline, owed=owed, available=available,
                       shortfall=short, coverage=coverage, rate=rate, months_to_recover=months,
                       not_recovering=not_recovering, status=status, contracted_inflow=contracted,
                       recovers_on=recovers_on)
        for (n, i, d, on_hand, guideline, owed, available, short, coverage, rate, months, not_recovering, status,
             contracted, recovers_on) in rows
    }
    return results, python_pairs, cutoff


def store(*, as_of: dt.date, pairs: Collection[Pair]) -> int:
    """Upsert the exact pairs' rows from ``shortfall_calc`` (after ``compute``), rewriting only those whose
    values changed (as ``engine.store`` does for a full recompute). Returns the rows written."""
    hooks.shortfalls_stored(pairs=pairs)  # webhooks compare the rows after the commit
    table = Shortfall._meta.db_table
    columns = ["nation_id", "item_id", *RESULT_COLUMNS]
    state = list(COMPUTED_STATE)
    names = ", ".join([*columns, *state, "computed_at"])
    updated = [*RESULT_COLUMNS, *state]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*updated, "computed_at"])
    changed = (f"({', '.join(f'{table}.{c}' for c in updated)}) IS DISTINCT FROM "
               f"({', '.join(f'EXCLUDED.{c}' for c in updated)})")
    params = {
        "d": as_of, "no_report": shortfalls.NO_REPORT, "no_guideline": shortfalls.NO_GUIDELINE,
        "below": shortfalls.BELOW_GUIDELINE, "ok": shortfalls.OK, "month_index": as_of.year * 12 + as_of.month - 1,
        "now": timezone.now(), **{f"state_{k}": v for k, v in COMPUTED_STATE.items()},
    }
    state_values = ", ".join(f"%(state_{k})s" for k in COMPUTED_STATE)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {', '.join(columns)}, {state_values}, %(now)s "
            f"FROM ({_FIGURES}) figures ON CONFLICT (nation_id, item_id) DO UPDATE SET {updates} WHERE {changed}",
            params)
        written = cursor.rowcount
        cursor.execute("DROP TABLE shortfall_calc")
    return written


def received_after(*, as_of: dt.date) -> dt.date:
    """The cut-off of the schedule lines the all-Python full recompute reads (``shortfall_inputs``: lines
    received after the oldest current stock report, or after D if that is earlier). One query."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(as_of) FROM {CurrentStock._meta.db_table}")
        oldest = cursor.fetchone()[0]
    return min(oldest or as_of, as_of)
