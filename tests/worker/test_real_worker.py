"""Against the real Redis and a real ``celery worker`` process (see conftest.py in this folder)."""

import datetime as dt

import pytest
from django.db import connection

from coordination.access import CELL
from pledges.services import delivery_create, pledge_create
from stockpiles import engine, services
from stockpiles.models import Shortfall, ShortfallMark, ShortfallRun
from stockpiles.tasks import recompute_all_shortfalls, recompute_marked_shortfalls
from tests import factories
from tests.worker.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

COMPARED = ("nation_id", "item_id", *engine.RESULT_COLUMNS)


def rows():
    return sorted(Shortfall.objects.order_by().values_list(*COMPARED))


def engine_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s "
                       "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                       [engine.ENGINE_LOCK_KEY])
        return cursor.fetchone()[0]


def test_stock_report_shows_up_as_an_updated_shortfall(worker_factory, nations, item):
    worker = worker_factory()
    pol = nations["POL"]
    factories.GuidelineFactory(item=item, minimum_quantity=10_000)
    services.stock_report_create(actor=CELL, nation=pol, item=item, quantity=4000, as_of=dt.date(2024, 1, 1))
    row = wait_for(lambda: Shortfall.objects.filter(nation=pol, item=item, on_hand=4000).first(),
                   timeout=10, what="the first Shortfall row", worker=worker)
    assert (row.shortfall, row.status) == (6000, "below_guideline")
    services.stock_report_create(actor=CELL, nation=pol, item=item, quantity=9500, as_of=dt.date(2024, 2, 1))
    row = wait_for(lambda: Shortfall.objects.filter(nation=pol, item=item, on_hand=9500).first(),
                   timeout=10, what="the updated Shortfall row", worker=worker)
    assert (row.shortfall, row.available, row.coverage) == (500, 9500, 0.95)
    assert not ShortfallMark.objects.exists()


def test_worker_killed_mid_recompute_leaves_nothing_half_done(worker_factory, nations):
    items = [factories.ItemFactory(name=f"Item {k}") for k in range(60)]
    for it in items:
        factories.GuidelineFactory(item=it, minimum_quantity=1000)
    slow = worker_factory(sleep_seconds=30)  # each batch holds its transaction open for 30 s
    for code in ("USA", "POL"):
        services.stock_reports_bulk_create(
            actor=CELL, nation=nations[code],
            rows=[{"item": it, "quantity": k * 20, "as_of": dt.date(2024, 1, 1)} for k, it in enumerate(items)],
        )
    # The drain is inside its batch (lock taken, rows written but not committed): kill it there.
    wait_for(lambda: engine_locks() == 1, timeout=15, what="the drain to take the engine lock", worker=slow)
    assert not Shortfall.objects.exists()  # nothing committed yet
    slow.kill()
    wait_for(lambda: engine_locks() == 0, timeout=15, what="the killed worker's lock to go")
    assert ShortfallMark.objects.count() == 120  # the batch rolled back: every mark is still there
    assert not Shortfall.objects.exists()

    fresh = worker_factory()  # its start-up check drains what the dead worker left
    wait_for(lambda: not ShortfallMark.objects.exists() and Shortfall.objects.count() == 120, timeout=20,
             what="the new worker to finish the recompute", worker=fresh)
    assert Shortfall.objects.values("nation_id", "item_id").distinct().count() == 120  # no duplicates
    expected = engine.shortfalls_compute(pairs=None)
    stored = {(r.nation_id, r.item_id): (r.on_hand, r.shortfall, r.status) for r in Shortfall.objects.all()}
    assert stored == {pair: (r.on_hand, r.shortfall, r.status) for pair, r in expected.items()}
    assert stored[(nations["USA"].pk, items[10].pk)] == (200, 800, "below_guideline")
    # The live worker may hold the lock for a moment (its last, empty batch); none is left behind.
    wait_for(lambda: engine_locks() == 0, timeout=10, what="no engine lock")


def test_periodic_full_recompute_equals_incremental(worker_factory, nations, item):
    worker = worker_factory()
    usa, pol, ukr = nations["USA"], nations["POL"], nations["UKR"]
    ifv = factories.ItemFactory(name="IFV", unit="vehicles")
    for guideline in (factories.GuidelineFactory(item=item, minimum_quantity=10_000),
                      factories.GuidelineFactory(item=ifv, nation=pol, minimum_quantity=100)):
        services.guideline_saved(guideline=guideline)
    services.production_rate_saved(rate=factories.ProductionRateFactory(nation=usa, item=item, units_per_month=1500))
    services.stock_report_create(actor=CELL, nation=usa, item=item, quantity=7000, as_of=dt.date(2024, 1, 1))
    services.stock_reports_bulk_create(actor=CELL, nation=pol, rows=[
        {"item": item, "quantity": 12_000, "as_of": dt.date(2024, 1, 1)},
        {"item": ifv, "quantity": 60, "as_of": dt.date(2024, 1, 1)},
    ])
    pledge = pledge_create(actor=CELL, donor=usa, recipient=ukr, item=item, quantity=2000,
                           announced_on=dt.date(2024, 1, 10), source="national_stock", status="committed")
    delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=500, status="in_transit", shipped_on=dt.date(2024, 2, 1))

    wait_for(lambda: not ShortfallMark.objects.exists() and Shortfall.objects.count() == 3, timeout=20,
             what="the incremental drains", worker=worker)
    wait_for(lambda: Shortfall.objects.filter(nation=usa, item=item, owed=1500).exists(), timeout=10,
             what="the delivery to reach the USA row", worker=worker)
    incremental = rows()
    before = max(Shortfall.objects.values_list("computed_at", flat=True))
    recompute_all_shortfalls.delay()  # what beat sends
    # The full recompute rewrites only rows that changed (none here): it records its end in ShortfallRun.
    wait_for(lambda: ShortfallRun.objects.filter(finished_at__gt=before).exists(), timeout=20,
             what="the full recompute", worker=worker)
    assert rows() == incremental
    usa_row = Shortfall.objects.get(nation=usa, item=item)
    assert (usa_row.available, usa_row.shortfall, usa_row.months_to_recover) == (5500, 4500, 3)


def test_redis_flag_coalesces_many_small_transactions(services_available, nations, item, monkeypatch):
    """The Redis "drain pending" key: 50 committed writes, no worker yet → one publication."""
    from config.celery import app
    from tests.worker.conftest import _use_queue

    _use_queue(app, "aid-test-flag-only")
    engine.drainflag.clear()
    sent = []
    monkeypatch.setattr(recompute_marked_shortfalls, "delay", lambda *a, **k: sent.append(1))
    try:
        for day in range(50):
            services.stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=day,
                                         as_of=dt.date(2023, 1, 1) + dt.timedelta(days=day))
        assert len(sent) == 1
        redis = engine.drainflag._redis()
        assert 0 < redis.ttl(engine.drainflag.key) <= engine.DrainFlag.ttl()
        engine.drainflag.clear()  # what the task does when a worker starts it
        services.stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=1,
                                     as_of=dt.date(2024, 1, 1))
        assert len(sent) == 2
    finally:
        engine.drainflag.clear()
        _use_queue(app, None)
