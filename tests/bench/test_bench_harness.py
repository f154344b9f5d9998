"""Every benchmark path at a tiny size, so that none of them can rot. Correctness, not timing:
the SQL baseline must give exactly the engine's rows; each step must measure what it says."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from bench import baseline, measure
from bench.report import render_table
from loaders.scale import ScaleSizes, scale_data_generate
from stockpiles import engine
from stockpiles.models import CurrentStock, Shortfall, StockReport
from tests import factories
from tests.conftest import requires_postgres

ROOT = Path(__file__).resolve().parents[2]
TINY = ScaleSizes(nations=4, items=6, reports=300, pledges=30, deliveries=80)


@pytest.fixture
def tiny_data(db):
    scale_data_generate(sizes=TINY, seed=5, progress=False)
    engine.shortfalls_recompute(pairs=None)


# --- 1. The SQL baseline -------------------------------------------------------------------------------

@requires_postgres
@pytest.mark.django_db
def test_sql_baseline_on_a_worked_example(nations, item, today):
    """POL holds 4,000; guideline 10,000; 1,000 pledged from stock of which 200 shipped -> owed 800,
    available 3,200, shortfall 6,800, coverage 0.32; 1,000 a month -> 7 months. USA has no report."""
    pol, usa = nations["POL"], nations["USA"]
    report = factories.StockReportFactory(nation=pol, item=item, quantity=4000, as_of=today - dt.timedelta(days=3))
    CurrentStock.objects.create(nation=pol, item=item, quantity=4000, as_of=report.as_of, report=report)
    factories.GuidelineFactory(item=item, minimum_quantity=10_000)
    factories.ProductionRateFactory(nation=pol, item=item, units_per_month=1000)
    pledge = factories.PledgeFactory(donor=pol, item=item, quantity=1000, announced_on=today - dt.timedelta(days=30),
                                     due_on=today + dt.timedelta(days=30))
    factories.DeliveryFactory(pledge=pledge, quantity=200, status="in_transit", shipped_on=today)
    # (the factory writes rows directly; set the pledge's derived totals as the service would)
    type(pledge).objects.filter(pk=pledge.pk).update(allocated_quantity=200, shipped_quantity=200)
    factories.PledgeFactory(donor=usa, item=item, quantity=50, announced_on=today - dt.timedelta(days=30),
                            due_on=today + dt.timedelta(days=30))

    # An ally with nothing of its own is expected to report under the alliance-wide guideline (a no_report
    # row); one whose own guideline is 0 is not (no row); the recipient never is.
    silent = factories.NationFactory(code="DNK", name="Denmark")
    exempt = factories.NationFactory(code="NLD", name="Netherlands")
    factories.GuidelineFactory(item=item, nation=exempt, minimum_quantity=0)

    rows = {r[:2]: dict(zip(baseline.COLUMNS, r, strict=True)) for r in baseline.sql_rows(as_of=today)}
    assert set(rows) == {(pol.pk, item.pk), (usa.pk, item.pk), (silent.pk, item.pk)}
    s = rows[(silent.pk, item.pk)]
    assert (s["on_hand"], s["guideline"], s["owed"], s["shortfall"], s["status"]) == (None, 10_000, 0, 0, "no_report")
    p = rows[(pol.pk, item.pk)]
    assert (p["on_hand"], p["guideline"], p["owed"], p["available"], p["shortfall"]) == (4000, 10_000, 800, 3200, 6800)
    assert (p["coverage"], p["rate"], p["months_to_recover"], p["not_recovering"], p["status"]) == (
        0.32, 1000, 7, False, "below_guideline")
    u = rows[(usa.pk, item.pk)]
    assert (u["on_hand"], u["owed"], u["shortfall"], u["status"], u["months_to_recover"]) == (None, 50, 0,
                                                                                             "no_report", None)
    engine.shortfalls_recompute(pairs=None)
    assert baseline.engine_rows() == baseline.sql_rows(as_of=today)


@requires_postgres
@pytest.mark.django_db
def test_sql_baseline_gives_the_engines_rows_on_generated_data(tiny_data):
    figures = measure.full_recompute(repeats=1)
    assert figures["identical"], figures["differences"]
    assert figures["prototype_identical"]
    assert figures["pairs"] == Shortfall.objects.count() > 10
    assert figures["engine_ms"] > 0 and figures["sql_ms"] > 0 and figures["ratio"] > 0
    # The baseline's own table received the same number of rows.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {baseline.BASELINE_TABLE}")
        assert cursor.fetchone()[0] == figures["pairs"]


# --- 2. Incremental ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_incremental_recomputes_exactly_the_written_pair(tiny_data, today):
    before = StockReport.objects.count()
    figures = measure.incremental(samples=3, seed=1)
    assert figures["samples"] == 3
    assert figures["wrong_results"] == 0
    assert figures["stock_reports"] == before + 3
    assert StockReport.objects.filter(as_of=today).count() == 3
    assert figures["drain_p50_ms"] > 0 and figures["write_p50_ms"] > 0


# --- 3. Dashboard --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_dashboard_step_measures_every_page(tiny_data, monkeypatch):
    # The bench signs in on its own (with the second factor): not through the suite's verified force_login.
    from django.test import Client

    from tests import conftest

    monkeypatch.setattr(Client, "force_login", conftest._original_force_login)
    figures = measure.dashboard(requests=1)
    code = figures["nation"]["url"].rstrip("/").rsplit("/", 1)[-1]
    assert set(figures) == {"floor (/healthz)", "overview", "nation", "item", "recipient", "procurement",
                            "briefing", "pledges", f"overview (officer of {code})", f"own nation (officer of {code})"}
    for name, page in figures.items():
        assert page["status"] == 200, name
        assert page["queries"] > 0, name  # counted from the captured request, not from a later one
    assert figures["nation"]["url"].startswith("/nations/")
    # the officer's overview is the nation's page of aggregates: smaller than the cell's, which lists every nation
    assert figures[f"overview (officer of {code})"]["bytes"] < figures["overview"]["bytes"]


@requires_postgres
@pytest.mark.django_db
def test_sourcing_step_measures_the_api_and_the_page(tiny_data, monkeypatch):
    from django.test import Client

    from tests import conftest

    monkeypatch.setattr(Client, "force_login", conftest._original_force_login)
    figures = measure.sourcing(requests=1)
    assert set(figures) == {"floor (/healthz)", "api", "page"}
    assert figures["api"]["url"].startswith("/api/v1/sourcing/?item=")
    for name, page in figures.items():
        assert page["status"] == 200, name
        assert page["queries"] > 0, name
    assert "3 Sourcing api, one item" in render_table({"sourcing": figures})


@pytest.mark.django_db
def test_history_step_rebuilds_and_times_the_as_of_pages_snapshot_and_trends(tiny_data, monkeypatch):
    from django.test import Client

    from stockpiles.models import ShortfallVersion, Snapshot
    from tests import conftest

    monkeypatch.setattr(Client, "force_login", conftest._original_force_login)
    figures = measure.history(requests=1, days=21, as_of_days_ago=7)
    assert figures["rebuild"]["versions"] == ShortfallVersion.objects.count() > 0
    as_of = (measure.today() - dt.timedelta(days=7)).isoformat()
    code = figures["as_of_pages"][f"nation as of {as_of}"]["url"].split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    assert set(figures["as_of_pages"]) == {"floor (/healthz)", *(f"{page} as of {as_of}" for page in (
        "overview", "nation", "item", "recipient", "procurement", "briefing", "pledges",
        f"overview (officer of {code})", f"own nation (officer of {code})"))}
    for name, page in figures["as_of_pages"].items():
        assert page["status"] == 200, name
        if not name.startswith("floor"):
            assert page["url"].endswith(f"?as_of={as_of}") and page["queries"] > 0, name
    snapshot = Snapshot.objects.get(name=f"bench {as_of}")
    assert figures["snapshot"]["rows"] == snapshot.rows.count() > 0
    assert figures["snapshot"]["timed"]["snapshot vs today (page)"]["url"].endswith(f"a={snapshot.pk}&b=today")
    assert set(figures["series"]) == {"floor (/healthz)", "series, alliance", "series, one item", "series, one nation"}
    assert all(page["status"] == 200 for page in figures["series"].values())
    table = render_table({"history": figures})
    assert "3 History rebuild, last 21 days" in table and "3 Trend series, one item" in table
    assert f"3 Dashboard overview as of {as_of}" in table and "3 snapshot vs today (page)" in table


# --- 4. API ingest -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_ingest_puts_every_row_in_through_the_bulk_endpoint(tiny_data):
    figures = measure.api_ingest(transport=measure.ClientTransport(Client()), rows=25, batch=10)
    assert figures["statuses"] == [201, 201, 201], figures["first_error"]
    assert figures["stored"] == 25
    assert figures["api_rows_per_s"] > 0
    if figures["copy_s"] is not None:  # PostgreSQL: the COPY baseline loaded the same rows
        assert figures["copy_rows_per_s"] > 0 and figures["ratio"] > 0
        # the second baseline: a copy of the table with only the unique index, dropped afterwards
        assert figures["copy_bare_rows_per_s"] > 0 and figures["ratio_to_bare"] > 0
        assert "stockreport_unique_per_day" in figures["indexes"]
        assert not any(name.endswith(("_nation_id_e19549d7", "_item_id_40b5dba9", "_reported_by_id_4a262053"))
                       for name in figures["indexes"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [measure.BARE_TABLE])
            assert cursor.fetchone()[0] is None


def test_ingest_rows_never_repeat_a_day_and_item():
    rows = measure.ingest_rows(count=25, item_ids=[3, 4, 5, 6], exclude_days={measure.today() - dt.timedelta(days=2)})
    assert len(rows) == 25
    assert len({(r["item"], r["as_of"]) for r in rows}) == 25
    assert (measure.today() - dt.timedelta(days=2)).isoformat() not in {r["as_of"] for r in rows}
    assert max(r["as_of"] for r in rows) < measure.today().isoformat()


# --- 5. API reads --------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_api_reads_with_the_thread_load_generator(live_server):
    scale_data_generate(sizes=TINY, seed=5, progress=False)
    figures = measure.api_reads(base_url=live_server.url, seconds=1, connections=2,
                                transport=measure.HttpTransport(live_server.url))
    assert figures["list"]["tool"] == "python threads"
    assert figures["list"]["requests"] > 0 and figures["list"]["errors"] == 0
    assert figures["floor (/healthz)"]["requests"] > 0
    assert figures["list"]["p95_ms"] >= figures["list"]["p50_ms"] > 0


# --- 6. Freshness --------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_freshness_sees_each_written_report_in_its_shortfall_row(tiny_data):
    figures = measure.freshness(writes=3, seed=2, timeout=5)  # eager tasks here: the row is there at once
    assert figures["writes"] == 3 and figures["timeouts"] == 0
    assert figures["p50_ms"] is not None and figures["met"]


# --- Harness -------------------------------------------------------------------------------------------

def test_percentile_interpolates():
    assert measure.percentile([4, 1, 3, 2], 50) == 2.5
    assert measure.percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert measure.percentile([], 50) is None


def test_table_shows_each_figure_with_its_baseline_and_ratio():
    table = render_table({
        "full_recompute": {"pairs": 49_000, "engine_ms": 3000.0, "sql_ms": 1000.0, "ratio": 3.0, "met": False,
                           "identical": True, "engine_core_ms": 2000.0, "core_ratio": 2.0},
        "api_ingest": {"rows": 100_000, "batch": 10_000, "api_rows_per_s": 20_000, "copy_rows_per_s": 200_000,
                       "ratio": 0.1, "met": False},
        "errors": {"freshness": "RuntimeError: no worker"},
        "scale": "small", "total_seconds": 600.0,
    })
    assert "| 1 Full recompute, 49,000 pairs" in table
    assert "engine 3,000.0 ms" in table and "one SQL statement 1,000.0 ms" in table and "3.00x" in table
    assert "20,000 rows/s" in table and "COPY 200,000 rows/s" in table and "0.10x" in table
    assert "step freshness failed: RuntimeError: no worker" in table


def test_make_bench_says_what_to_set_when_postgres_or_redis_is_missing():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env["DATABASE_URL"] = "sqlite:///nothing.sqlite3"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py")], env=env, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 2
    assert "DATABASE_URL=postgres://" in done.stderr and "REDIS_URL=redis://" in done.stderr
