"""The engine's storage side: incremental marks vs the full recompute, rows without inputs,
coalesced task publications, mark deletion, and the PostgreSQL advisory lock."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction

from coordination.access import CELL
from pledges.models import Pledge
from pledges.services import delivery_create, delivery_update, pledge_create, pledge_update
from stockpiles import engine, services, tasks
from stockpiles.engine import lock as engine_lock
from stockpiles.engine import marks as engine_marks
from stockpiles.engine import run as engine_run
from stockpiles.engine import store as engine_store
from stockpiles.models import Shortfall, ShortfallMark
from tests import factories
from tests.conftest import requires_postgres

COMPARED = ("nation_id", "item_id", *engine.RESULT_COLUMNS)


def snapshot():
    return sorted(Shortfall.objects.order_by().values_list(*COMPARED))


def build_through_services(nations, item, capture):
    """A small world written only through services, each write in its own transaction with its
    on-commit drain (eager). Returns the objects for later changes."""
    usa, pol, ukr = nations["USA"], nations["POL"], nations["UKR"]
    ifv = factories.ItemFactory(name="IFV", unit="vehicles")
    with capture(execute=True):
        alliance = factories.GuidelineFactory(item=item, minimum_quantity=10_000)
        services.guideline_saved(guideline=alliance)
        national = factories.GuidelineFactory(item=ifv, nation=pol, minimum_quantity=100)
        services.guideline_saved(guideline=national)
        rate = factories.ProductionRateFactory(nation=usa, item=item, units_per_month=1500)
        services.production_rate_saved(rate=rate)
    with capture(execute=True):
        services.stock_report_create(actor=CELL, nation=usa, item=item, quantity=7000, as_of=dt.date(2024, 1, 1))
    with capture(execute=True):
        services.stock_reports_bulk_create(actor=CELL, nation=pol, rows=[
            {"item": item, "quantity": 12_000, "as_of": dt.date(2024, 1, 1)},
            {"item": ifv, "quantity": 60, "as_of": dt.date(2024, 1, 1)},
        ])
    with capture(execute=True):
        pledge = pledge_create(actor=CELL, donor=usa, recipient=ukr, item=item, quantity=2000,
                               announced_on=dt.date(2024, 1, 10), due_on=dt.date(2024, 3, 1),
                               source=Pledge.Source.NATIONAL_STOCK, status=Pledge.Status.COMMITTED)
    with capture(execute=True):
        delivery = delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=500, status="in_transit",
                                   shipped_on=dt.date(2024, 2, 1))
    with capture(execute=True):
        # A pledge from new production owes nothing from stock: it creates no row by itself.
        pledge_create(actor=CELL, donor=pol, recipient=ukr, item=ifv, quantity=5,
                      announced_on=dt.date(2024, 1, 10), source=Pledge.Source.NEW_PRODUCTION)
    return {"usa": usa, "pol": pol, "ammo": item, "ifv": ifv, "pledge": pledge, "delivery": delivery}


@pytest.fixture(params=["default", "copy"])
def store_path(request, monkeypatch):
    """Run a test with the default store and again with the PostgreSQL COPY store forced on every
    write (on SQLite both are ``bulk_create``): both must give the same rows."""
    if request.param == "copy":
        monkeypatch.setattr(engine_store, "COPY_STORE_MIN_ROWS", 0)
    return request.param


@pytest.mark.django_db
def test_incremental_equals_full_recompute(nations, item, django_capture_on_commit_callbacks, store_path):
    world = build_through_services(nations, item, django_capture_on_commit_callbacks)
    assert not ShortfallMark.objects.exists()
    incremental = snapshot()
    usa_ammo = Shortfall.objects.get(nation=world["usa"], item=item)
    # 7,000 on hand, owed 2,000 − 500 shipped = 1,500 → available 5,500; short 4,500; 1,500/month → 3 months.
    assert (usa_ammo.available, usa_ammo.shortfall, usa_ammo.months_to_recover) == (5500, 4500, 3)
    pol_ifv = Shortfall.objects.get(nation=world["pol"], item=world["ifv"])
    assert (pol_ifv.guideline, pol_ifv.shortfall, pol_ifv.not_recovering) == (100, 40, True)
    assert len(incremental) == 3  # USA/ammo, POL/ammo, POL/IFV (the new-production pledge adds none)

    assert tasks.recompute_all_shortfalls() == 3
    assert snapshot() == incremental
    assert tasks.recompute_all_shortfalls() == 3  # idempotent
    assert snapshot() == incremental


@pytest.mark.django_db
def test_changes_flow_through_marks_and_still_match_full(nations, item, django_capture_on_commit_callbacks,
                                                         store_path):
    world = build_through_services(nations, item, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_update(actor=CELL, delivery_id=world["delivery"].pk, status="delivered",
                        delivered_on=dt.date(2024, 2, 10))
    with django_capture_on_commit_callbacks(execute=True):
        pledge_update(actor=CELL, pledge_id=world["pledge"].pk, quantity=1000)  # a reduction
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_report_create(actor=CELL, nation=world["pol"], item=world["ifv"], quantity=150,
                                     as_of=dt.date(2024, 2, 1))
    usa_ammo = Shortfall.objects.get(nation=world["usa"], item=item)
    # Owed 1,000 − 500 = 500 → available 6,500 → short 3,500 → 3 months at 1,500.
    assert (usa_ammo.owed, usa_ammo.available, usa_ammo.shortfall, usa_ammo.months_to_recover) == (500, 6500, 3500, 3)
    assert Shortfall.objects.get(nation=world["pol"], item=world["ifv"]).status == "ok"
    incremental = snapshot()
    tasks.recompute_all_shortfalls()
    assert snapshot() == incremental


@pytest.mark.django_db
def test_rows_without_inputs_are_removed_by_both_paths(nations, item, django_capture_on_commit_callbacks):
    """Decision: a pair keeps a row only while it has inputs of its own (stock report, rate,
    national-stock pledge, schedule line) or is expected to report (a guideline above 0 applies to it).
    Cancelling the only pledge of a pair no guideline applies to removes the row."""
    with django_capture_on_commit_callbacks(execute=True):
        pledge = pledge_create(actor=CELL, donor=nations["POL"], recipient=nations["UKR"], item=item, quantity=10,
                               announced_on=dt.date(2024, 1, 1))
    row = Shortfall.objects.get(nation=nations["POL"], item=item)
    assert (row.status, row.owed) == ("no_report", 10)
    with django_capture_on_commit_callbacks(execute=True):
        pledge_update(actor=CELL, pledge_id=pledge.pk, status=Pledge.Status.CANCELLED)
    assert not Shortfall.objects.exists()
    # A row the incremental path never touched (e.g. written before its inputs were deleted) goes on the full run.
    Shortfall.objects.create(nation=nations["USA"], item=item, as_of=dt.date(2024, 1, 1), status="ok",
                             computed_at="2024-01-01T00:00:00Z")
    assert tasks.recompute_all_shortfalls() == 0
    assert not Shortfall.objects.exists()


@pytest.mark.django_db
def test_past_date_snapshot_uses_history(nations, item):
    factories.GuidelineFactory(item=item, minimum_quantity=1000)
    for day, qty in [(dt.date(2024, 1, 1), 2000), (dt.date(2024, 2, 1), 800), (dt.date(2024, 3, 1), 1500)]:
        services.stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=qty, as_of=day)
    past = engine.shortfalls_compute(pairs=None, as_of=dt.date(2024, 2, 15))
    r = past[(nations["POL"].pk, item.pk)]
    assert (r.on_hand, r.shortfall, r.status, r.as_of) == (800, 200, "below_guideline", dt.date(2024, 2, 15))
    # Before POL's first report: POL and USA, allies under the alliance-wide guideline, had not reported.
    before = engine.shortfalls_compute(pairs=None, as_of=dt.date(2023, 12, 31))
    assert {pair: r.status for pair, r in before.items()} == {(nations["POL"].pk, item.pk): "no_report",
                                                              (nations["USA"].pk, item.pk): "no_report"}
    today = engine.shortfalls_compute(pairs=[(nations["POL"].pk, item.pk)])
    assert today[(nations["POL"].pk, item.pk)].on_hand == 1500


@pytest.mark.django_db
def test_inputs_use_a_fixed_number_of_queries(nations, item, django_assert_max_num_queries):
    factories.GuidelineFactory(item=item)
    silent = [factories.ItemFactory(name=f"Never reported {k}") for k in range(5)]
    for it in silent:
        factories.GuidelineFactory(item=it)
    for k in range(30):
        nation = factories.NationFactory()
        services.stock_report_create(actor=CELL, nation=nation, item=item, quantity=k, as_of=dt.date(2024, 1, 1))
        factories.PledgeFactory(donor=nation, item=item, quantity=5)
    allies = 30 + 2  # and USA, POL of the fixture (UKR is the recipient)
    expected = allies * (1 + len(silent))  # every ally under every guideline: 30 reported, the rest no_report
    with django_assert_max_num_queries(6):  # current stock, guidelines, allies, rates, schedule lines, pledges
        assert len(engine.shortfalls_compute(pairs=None)) == expected
    with django_assert_max_num_queries(7):  # stock (latest per pair), guidelines, allies, rates, schedules, pledges,
        # shipped
        assert len(engine.shortfalls_compute(pairs=None, as_of=dt.date(2024, 1, 2))) == expected


# --- Coalescing ------------------------------------------------------------------------------------

@pytest.fixture
def publications(monkeypatch):
    """Tasks are not eager and not run; every publication of the drain task is counted.
    The drain flag works in-process (the real-Redis variant is in tests/worker/)."""
    from config.celery import app

    app.conf.task_always_eager = False
    engine.drainflag.clear()
    monkeypatch.setattr(engine.DrainFlag, "_mode", lambda self: "local")
    sent = []
    monkeypatch.setattr(tasks.recompute_marked_shortfalls, "delay", lambda *a, **k: sent.append(1))
    yield sent
    engine.drainflag.clear()


@pytest.mark.django_db
def test_ten_thousand_reports_in_one_bulk_call_publish_one_task(nations, publications,
                                                                django_capture_on_commit_callbacks):
    items = [factories.ItemFactory(name=f"Item {k}") for k in range(100)]
    rows = [{"item": it, "quantity": d, "as_of": dt.date(2023, 1, 1) + dt.timedelta(days=d)}
            for it in items for d in range(100)]
    assert len(rows) == 10_000
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_reports_bulk_create(actor=CELL, nation=nations["POL"], rows=rows)
    assert len(publications) == 1
    assert ShortfallMark.objects.count() == 100  # one mark per pair, not per row
    tasks.recompute_marked_shortfalls.run()  # the worker runs it
    assert Shortfall.objects.count() == 100 and not ShortfallMark.objects.exists()


@pytest.mark.django_db
def test_many_small_transactions_publish_a_bounded_number(nations, item, publications,
                                                          django_capture_on_commit_callbacks):
    def write(day):
        with django_capture_on_commit_callbacks(execute=True):
            services.stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=day,
                                         as_of=dt.date(2023, 1, 1) + dt.timedelta(days=day))

    for day in range(50):  # 50 transactions while no worker has picked the task up yet
        write(day)
    assert len(publications) == 1
    tasks.recompute_marked_shortfalls.run()  # the worker starts (clears the flag) and drains
    assert Shortfall.objects.get(nation=nations["POL"], item=item).on_hand == 49
    for day in range(50, 80):
        write(day)
    assert len(publications) == 2  # one more for the burst after the drain started
    tasks.recompute_marked_shortfalls.run()
    # Several mark calls in one transaction: one publication.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for code in ("POL", "USA", "UKR"):
            engine.shortfall_mark_pairs(pairs=[(nations[code].pk, item.pk)])
    assert len(publications) == 3


@pytest.mark.django_db
def test_a_failed_publication_does_not_block_later_ones(nations, item, monkeypatch):
    from config.celery import app

    app.conf.task_always_eager = False
    monkeypatch.setattr(engine.DrainFlag, "_mode", lambda self: "local")
    engine.drainflag.clear()

    def broken(*a, **k):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.recompute_marked_shortfalls, "delay", broken)
    assert engine.shortfall_request_drain() is False  # logged, not raised after the commit
    assert engine.drainflag.is_set() is False
    sent = []
    monkeypatch.setattr(tasks.recompute_marked_shortfalls, "delay", lambda *a, **k: sent.append(1))
    assert engine.shortfall_request_drain() is True and sent == [1]
    engine.drainflag.clear()


# --- Marks -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_mark_re_set_during_a_drain_is_kept(nations, item):
    pol, usa = nations["POL"].pk, nations["USA"].pk
    engine.shortfall_mark_pairs(pairs=[(pol, item.pk), (usa, item.pk)])
    read = engine_marks._read_marks(limit=None)
    assert len(read) == 2
    engine.shortfall_mark_pairs(pairs=[(pol, item.pk)])  # a write lands while the drain computes
    assert engine_marks._delete_marks(read) == 1  # one statement, only the unchanged mark
    assert list(ShortfallMark.objects.values_list("nation_id", flat=True)) == [pol]


@pytest.mark.django_db
def test_drain_in_batches_until_empty(nations, django_capture_on_commit_callbacks):
    items = [factories.ItemFactory(name=f"Item {k}") for k in range(25)]
    factories.GuidelineFactory(item=items[0], minimum_quantity=5)
    services.stock_reports_bulk_create(actor=CELL, nation=nations["POL"],
                                       rows=[{"item": it, "quantity": 1, "as_of": dt.date(2024, 1, 1)} for it in items])
    assert ShortfallMark.objects.count() == 25  # on-commit not run in this test transaction
    assert engine.shortfalls_drain(limit=10) == 25
    assert Shortfall.objects.count() == 25 and not ShortfallMark.objects.exists()
    assert Shortfall.objects.get(item=items[0]).shortfall == 4


# --- PostgreSQL: concurrent drains and the advisory lock ------------------------------------------

def advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s "
                       "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                       [engine.ENGINE_LOCK_KEY])
        return cursor.fetchone()[0]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_drains_and_full_recompute_agree(nations):
    items = [factories.ItemFactory(name=f"Item {k}") for k in range(40)]
    for it in items:
        factories.GuidelineFactory(item=it, minimum_quantity=100)
    for code in ("USA", "POL"):
        services.stock_reports_bulk_create(
            actor=CELL, nation=nations[code],
            rows=[{"item": it, "quantity": k * 5, "as_of": dt.date(2024, 1, 1)} for k, it in enumerate(items)],
        )
    errors = []

    def drain():
        try:
            engine.shortfalls_drain(limit=7)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=drain) for _ in range(3)]
    for t in threads:
        t.start()
    engine.shortfalls_recompute(pairs=None)
    for t in threads:
        t.join(30)
    assert errors == []
    assert not ShortfallMark.objects.exists()
    assert Shortfall.objects.count() == 80  # one row per pair, no duplicates
    incremental = snapshot()
    engine.shortfalls_recompute(pairs=None)
    assert snapshot() == incremental
    assert advisory_locks() == 0


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_lock_is_transaction_scoped(nations, item):
    with transaction.atomic():
        engine_lock._engine_lock()
        assert advisory_locks() == 1
    assert advisory_locks() == 0


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_only_the_drain_commits_without_waiting_for_the_wal_flush(nations, item, monkeypatch):
    """The drain's transaction runs with synchronous_commit off (its marks are deleted in it, so a lost
    commit is redone by the next drain); the full recompute and every later transaction keep it on."""
    seen = []
    locked = engine_run._recompute_locked

    def spy(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])
        return locked(**kwargs)

    monkeypatch.setattr(engine_run, "_recompute_locked", spy)
    ShortfallMark.objects.create(nation=nations["POL"], item=item, marked_at="2024-01-01T00:00:00Z")
    engine.shortfalls_recompute_marked()
    engine.shortfalls_recompute()
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    assert seen == ["off", "on"]


def test_tasks_are_safe_to_retry_and_beat_runs_the_full_recompute(settings):
    from config.celery import app

    for task in (tasks.recompute_marked_shortfalls, tasks.recompute_all_shortfalls):
        assert task.acks_late is True and task.reject_on_worker_lost is True
        assert task.time_limit and task.soft_time_limit and task.soft_time_limit < task.time_limit
        assert task.serializer == "json"
    entry = settings.CELERY_BEAT_SCHEDULE["full-shortfall-recompute"]
    assert entry["task"] == tasks.recompute_all_shortfalls.name == "stockpiles.tasks.recompute_all_shortfalls"
    assert entry["task"] in app.tasks


@pytest.mark.django_db
def test_full_recompute_rewrites_only_changed_rows_and_records_its_end(nations, item,
                                                                       django_capture_on_commit_callbacks,
                                                                       monkeypatch):
    """The COPY store (every full recompute on PostgreSQL; forced here for any size) leaves a row whose values
    did not change as it was, ``computed_at`` included; "last computed" is then the end of the full recompute
    (``ShortfallRun``), so the staleness flag does not depend on rows being rewritten."""
    from stockpiles import selectors
    from stockpiles.models import ShortfallRun

    monkeypatch.setattr(engine_store, "COPY_STORE_MIN_ROWS", 0)
    world = build_through_services(nations, item, django_capture_on_commit_callbacks)
    old = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    Shortfall.objects.update(computed_at=old)
    assert not ShortfallRun.objects.exists()
    assert selectors.shortfalls_last_computed() == old
    before = snapshot()

    tasks.recompute_all_shortfalls()
    assert snapshot() == before
    finished = ShortfallRun.objects.get().finished_at
    assert selectors.shortfalls_last_computed() == finished > old
    assert not selectors.shortfalls_are_stale(now=finished)
    times = set(Shortfall.objects.values_list("computed_at", flat=True))
    if connection.vendor == "postgresql":
        assert times == {old}  # nothing changed: nothing rewritten
    else:
        assert times == {Shortfall.objects.first().computed_at} and old not in times  # bulk_create rewrites

    # A changed input (written directly, without a mark): only that pair's row is rewritten.
    usa_ammo = Shortfall.objects.get(nation=world["usa"], item=item)
    factories.ProductionRateFactory(nation=world["usa"], item=item, units_per_month=3000,
                                    effective_from=dt.date(2024, 1, 2))
    tasks.recompute_all_shortfalls()
    changed = Shortfall.objects.get(pk=usa_ammo.pk)
    assert (changed.rate, changed.months_to_recover) == (3000, 2) and changed.computed_at > old
    if connection.vendor == "postgresql":
        assert set(Shortfall.objects.exclude(pk=usa_ammo.pk).values_list("computed_at", flat=True)) == {old}
    assert ShortfallRun.objects.count() == 1 and ShortfallRun.objects.get().finished_at > finished
