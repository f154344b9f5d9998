"""The physical-limit baseline: every (nation, item) shortfall in ONE hand-written SQL statement.

This exists only to measure how far the engine (stockpiles.services + stockpiles.shortfalls) is from
what PostgreSQL can do on its own. The product never runs it: the formulas live once, in
stockpiles/shortfalls.py. The benchmark checks that both give identical rows before timing them.

Same pair set as the engine: every pair with a current stock, an owed national-stock pledge, a
production rate or a national guideline (started on or before the date). It does not model contracted
order schedules (joint procurement): the generated bench data has none, so the engine's
``months_to_recover`` is exactly ceil(shortfall / rate) there and the rows stay comparable.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

COLUMNS = ("nation_id", "item_id", "as_of", "on_hand", "guideline", "owed", "available", "shortfall", "coverage",
           "rate", "months_to_recover", "not_recovering", "status")

SHORTFALL_SELECT = """
WITH d AS (SELECT %(as_of)s::date AS d),
gn AS (
    SELECT DISTINCT ON (g.nation_id, g.item_id) g.nation_id, g.item_id, g.minimum_quantity
    FROM stockpiles_stockpileguideline g, d
    WHERE g.nation_id IS NOT NULL AND g.effective_from <= d.d AND (g.effective_to IS NULL OR g.effective_to >= d.d)
    ORDER BY g.nation_id, g.item_id, g.effective_from DESC
),
ga AS (
    SELECT DISTINCT ON (g.item_id) g.item_id, g.minimum_quantity
    FROM stockpiles_stockpileguideline g, d
    WHERE g.nation_id IS NULL AND g.effective_from <= d.d AND (g.effective_to IS NULL OR g.effective_to >= d.d)
    ORDER BY g.item_id, g.effective_from DESC
),
r AS (
    SELECT DISTINCT ON (p.nation_id, p.item_id) p.nation_id, p.item_id, p.units_per_month
    FROM stockpiles_productionrate p, d
    WHERE p.effective_from <= d.d AND p.line_id IS NULL  -- a production line's capacity is not the nation's rate
    ORDER BY p.nation_id, p.item_id, p.effective_from DESC
),
o AS (
    SELECT p.donor_id AS nation_id, p.item_id, SUM(GREATEST(p.quantity - p.shipped_quantity, 0)) AS owed
    FROM pledges_pledge p, d
    WHERE p.source = 'national_stock' AND p.status <> 'cancelled' AND p.announced_on <= d.d
    GROUP BY p.donor_id, p.item_id
),
pairs AS (
    SELECT nation_id, item_id FROM stockpiles_currentstock
    UNION SELECT nation_id, item_id FROM o
    UNION SELECT nation_id, item_id FROM r
    -- expected to report (shortfalls.expected_to_report): the nation's own guideline in force asks for more
    -- than 0, or, for an ally without one, the alliance-wide guideline does
    UNION SELECT gn.nation_id, gn.item_id FROM gn WHERE gn.minimum_quantity > 0
    UNION SELECT n.id, ga.item_id FROM coordination_nation n, ga
          WHERE n.role = 'ally' AND ga.minimum_quantity > 0
            AND NOT EXISTS (SELECT 1 FROM gn WHERE gn.nation_id = n.id AND gn.item_id = ga.item_id)
),
base AS (
    SELECT p.nation_id, p.item_id, cs.quantity AS on_hand,
           COALESCE(gn.minimum_quantity, ga.minimum_quantity) AS guideline,
           COALESCE(o.owed, 0)::bigint AS owed, r.units_per_month AS rate
    FROM pairs p
    LEFT JOIN stockpiles_currentstock cs ON cs.nation_id = p.nation_id AND cs.item_id = p.item_id
    LEFT JOIN gn ON gn.nation_id = p.nation_id AND gn.item_id = p.item_id
    LEFT JOIN ga ON ga.item_id = p.item_id
    LEFT JOIN o ON o.nation_id = p.nation_id AND o.item_id = p.item_id
    LEFT JOIN r ON r.nation_id = p.nation_id AND r.item_id = p.item_id
),
calc AS (
    SELECT base.*, on_hand - owed AS available,
           CASE WHEN on_hand IS NULL OR guideline IS NULL THEN 0
                ELSE GREATEST(0, guideline - (on_hand - owed)) END AS shortfall
    FROM base
)
SELECT nation_id, item_id, (SELECT d FROM d) AS as_of, on_hand, guideline, owed, available, shortfall,
       CASE WHEN on_hand IS NULL OR guideline IS NULL OR guideline = 0 THEN NULL
            ELSE available::float8 / guideline END AS coverage,
       rate,
       CASE WHEN on_hand IS NULL OR guideline IS NULL THEN NULL
            WHEN shortfall = 0 THEN 0
            WHEN rate IS NULL OR rate <= 0 THEN NULL
            ELSE (shortfall + rate - 1) / rate END AS months_to_recover,
       (on_hand IS NOT NULL AND guideline IS NOT NULL AND shortfall > 0 AND (rate IS NULL OR rate <= 0))
           AS not_recovering,
       CASE WHEN on_hand IS NULL THEN 'no_report'
            WHEN guideline IS NULL THEN 'no_guideline'
            WHEN shortfall > 0 THEN 'below_guideline'
            ELSE 'ok' END AS status
FROM calc
"""

BASELINE_TABLE = "bench_shortfall_sql"


def create_baseline_table() -> None:
    """A twin of the Shortfall table (same columns, indexes and constraints) for the SQL to write to."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
        cursor.execute(f"CREATE TABLE {BASELINE_TABLE} (LIKE stockpiles_shortfall INCLUDING ALL)")


def sql_upsert(*, as_of: dt.date) -> int:
    """Compute and store every pair in one statement (INSERT ... SELECT ... ON CONFLICT DO UPDATE)."""
    cols = ", ".join(COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[2:])
    sql = (f"INSERT INTO {BASELINE_TABLE} ({cols}, computed_at) SELECT *, now() FROM ({SHORTFALL_SELECT}) s "
           f"ON CONFLICT (nation_id, item_id) DO UPDATE SET {updates}, computed_at = EXCLUDED.computed_at")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"as_of": as_of})
        return cursor.rowcount


def sql_rows(*, as_of: dt.date) -> set[tuple]:
    """The baseline's rows (select only), as comparable tuples."""
    with connection.cursor() as cursor:
        cursor.execute(SHORTFALL_SELECT, {"as_of": as_of})
        return {_normal(row) for row in cursor.fetchall()}


def engine_rows() -> set[tuple]:
    """The Shortfall rows the engine stored, as comparable tuples."""
    from stockpiles.models import Shortfall

    return {_normal(row) for row in Shortfall.objects.values_list(*COLUMNS)}


def _normal(row) -> tuple:
    row = list(row)
    coverage = COLUMNS.index("coverage")
    if row[coverage] is not None:
        row[coverage] = round(row[coverage], 12)
    return tuple(row)


def differences(a: set[tuple], b: set[tuple], *, limit: int = 5) -> list[str]:
    """Human-readable first differences between engine rows ``a`` and baseline rows ``b``."""
    out = []
    by_pair_b = {r[:2]: r for r in b}
    for row in sorted(a - b)[:limit]:
        out.append(f"engine {dict(zip(COLUMNS, row, strict=True))} vs sql {by_pair_b.get(row[:2])}")
    missing = {r[:2] for r in b} - {r[:2] for r in a}
    if missing:
        out.append(f"{len(missing)} pair(s) only in the SQL result, e.g. {sorted(missing)[:limit]}")
    return out


def copy_store(*, results: dict) -> int:
    """PROTOTYPE of a faster ``shortfalls_store`` (see docs/performance.md), measured by the benchmark only:
    the engine's results go into a temporary table with COPY, then into Shortfall with ONE
    ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` instead of one parameterised upsert per 1,000 rows.
    Same rows, same upsert semantics; the formulas are not touched (they ran in the engine)."""
    from django.utils import timezone

    now = timezone.now()
    cols = ", ".join(COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[2:])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_shortfall_in ON COMMIT DROP AS "
                       "SELECT * FROM stockpiles_shortfall WITH NO DATA")
        with cursor.cursor.copy(f"COPY bench_shortfall_in ({cols}, computed_at) FROM STDIN") as copy:
            for (n, i), r in sorted(results.items()):
                copy.write_row((n, i, r.as_of, r.on_hand, r.guideline, r.owed, r.available, r.shortfall, r.coverage,
                                r.rate, r.months_to_recover, r.not_recovering, r.status, now))
        cursor.execute(f"INSERT INTO stockpiles_shortfall ({cols}, computed_at) "
                       f"SELECT {cols}, computed_at FROM bench_shortfall_in "
                       f"ON CONFLICT (nation_id, item_id) DO UPDATE SET {updates}, computed_at = EXCLUDED.computed_at")
        return cursor.rowcount
