"""The history of the figures (ShortfallVersion): as-of reads against a hand-built history, the engine's
daily record, backdated reports correcting the past, and the backfill. Rules: docs/history.md."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from coordination.access import CELL, Scope
from pledges.services import delivery_create, pledge_create, pledge_update
from stockpiles import engine, selectors, services
from stockpiles.engine import run
from stockpiles.models import ShortfallVersion
from tests import factories

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def hand_built(nations, item, django_capture_on_commit_callbacks):
    """USA, alliance guideline 1,000 from 2024-01-01, no production rate:

    - from 2024-01-01 no report                      → no_report
    - 2024-01-10 report 1,500                        → ok, available 1,500
    - 2024-02-01 pledge of 300 from national stock   → ok, owed 300, available 1,200
    - 2024-03-01 report 800                          → below, available 500, shortfall 500 (not recovering)
    - 2024-04-01 100 of the pledge shipped           → below, owed 200, available 600, shortfall 400
    - 2024-05-01 report 800 again                    → the same figures: no new version
    POL (an ally) never reports: no_report from 2024-01-01.
    """
    usa = nations["USA"]
    with django_capture_on_commit_callbacks(execute=True):
        factories.GuidelineFactory(item=item, minimum_quantity=1000, effective_from=D(2024, 1, 1))
        for day, quantity in ((D(2024, 1, 10), 1500), (D(2024, 3, 1), 800), (D(2024, 5, 1), 800)):
            services.stock_report_create(actor=CELL, nation=usa, item=item, quantity=quantity, as_of=day)
        pledge = pledge_create(actor=CELL, donor=usa, recipient=nations["UKR"], item=item, quantity=300,
                               announced_on=D(2024, 2, 1), due_on=D(2024, 12, 31), source="national_stock",
                               status="committed", releasability="alliance")
        delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=100, status="in_transit",
                        shipped_on=D(2024, 4, 1))
    engine.shortfalls_recompute(pairs=None)  # the guideline came in without a service: today's rows …
    engine.shortfall_history_rebuild_locked()  # … and the backfill
    return {"usa": usa, "pol": nations["POL"], "pledge": pledge}


EXPECTED_USA = [  # (valid_from, valid_to, status, on_hand, owed, available, shortfall)
    (D(2024, 1, 1), D(2024, 1, 10), "no_report", None, 0, None, 0),
    (D(2024, 1, 10), D(2024, 2, 1), "ok", 1500, 0, 1500, 0),
    (D(2024, 2, 1), D(2024, 3, 1), "ok", 1500, 300, 1200, 0),
    (D(2024, 3, 1), D(2024, 4, 1), "below_guideline", 800, 300, 500, 500),
    (D(2024, 4, 1), None, "below_guideline", 800, 200, 600, 400),
]


def versions(nation, item):
    return list(ShortfallVersion.objects.filter(nation=nation, item=item).order_by("valid_from").values_list(
        "valid_from", "valid_to", "status", "on_hand", "owed", "available", "shortfall"))


def as_of(day, nation, item, actor=CELL):
    rows = selectors.shortfalls_as_of(actor=actor, as_of=day, nation=nation, item=item)
    return [(r.result.status, r.result.on_hand, r.result.owed, r.result.available, r.result.shortfall)
            for r in rows]


def test_the_history_holds_one_version_per_stretch_of_unchanged_figures(hand_built, item):
    assert versions(hand_built["usa"], item) == EXPECTED_USA
    assert versions(hand_built["pol"], item) == [(D(2024, 1, 1), None, "no_report", None, 0, None, 0)]


@pytest.mark.parametrize(("day", "expected"), [
    (D(2023, 12, 31), []),  # before the guideline: no row
    (D(2024, 1, 1), [("no_report", None, 0, None, 0)]),
    (D(2024, 1, 9), [("no_report", None, 0, None, 0)]),
    (D(2024, 1, 10), [("ok", 1500, 0, 1500, 0)]),
    (D(2024, 2, 15), [("ok", 1500, 300, 1200, 0)]),
    (D(2024, 3, 31), [("below_guideline", 800, 300, 500, 500)]),
    (D(2024, 4, 1), [("below_guideline", 800, 200, 600, 400)]),
    (D(2025, 6, 1), [("below_guideline", 800, 200, 600, 400)]),
])
def test_as_of_reads_the_version_valid_that_day(hand_built, item, day, expected, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # versions; their nations; their items
        assert as_of(day, hand_built["usa"], item) == expected


def test_as_of_a_past_date_equals_the_recompute_from_the_inputs(hand_built, item):
    """With no input edited after the fact, the stored history and a recompute from the inputs agree on
    every day (every figure, the recovery date derived from the day included)."""
    day = D(2023, 12, 25)
    while day < D(2024, 6, 15):
        stored = {(r.nation.pk, r.item.pk): r.result for r in selectors.shortfalls_as_of(actor=CELL, as_of=day)}
        computed = engine.shortfalls_compute(pairs=None, as_of=day)
        assert stored.keys() == computed.keys(), day
        for pair, result in computed.items():
            assert stored[pair] == result.__class__(**{**vars(result), "inflow_by_month": ()}), (day, pair)
        day += dt.timedelta(days=6)


def test_a_backdated_report_corrects_the_history_from_its_date(hand_built, item, django_capture_on_commit_callbacks):
    """Rule: a report dated D before today re-derives the pair's versions from D on (the drain does it in
    the transaction that stores today's figures). Before D nothing changes."""
    usa = hand_built["usa"]
    with django_capture_on_commit_callbacks(execute=True):  # entered late for 2024-02-15
        services.stock_report_create(actor=CELL, nation=usa, item=item, quantity=100, as_of=D(2024, 2, 15))
    assert versions(usa, item) == [
        *EXPECTED_USA[:2],
        (D(2024, 2, 1), D(2024, 2, 15), "ok", 1500, 300, 1200, 0),  # cut where the late report starts
        (D(2024, 2, 15), D(2024, 3, 1), "below_guideline", 100, 300, -200, 1200),
        *EXPECTED_USA[3:],  # from the next report on, the figures are as they were
    ]
    assert as_of(D(2024, 2, 14), usa, item) == [("ok", 1500, 300, 1200, 0)]
    assert as_of(D(2024, 2, 20), usa, item) == [("below_guideline", 100, 300, -200, 1200)]
    assert versions(hand_built["pol"], item) == [(D(2024, 1, 1), None, "no_report", None, 0, None, 0)]


def test_a_backdated_first_report_of_a_pair_without_history(nations, item, django_capture_on_commit_callbacks):
    """A pair the engine never saw: its first report, dated last month, gives it a history from then."""
    day = timezone.localdate() - dt.timedelta(days=40)
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=70, as_of=day)
    assert versions(nations["POL"], item) == [(day, None, "no_guideline", 70, 0, 70, 0)]
    assert as_of(day - dt.timedelta(days=1), nations["POL"], item) == []


def test_a_later_pledge_edit_does_not_rewrite_the_past(hand_built, item, django_capture_on_commit_callbacks):
    """The history keeps what the figures were; a recompute from the inputs would use today's pledge."""
    with django_capture_on_commit_callbacks(execute=True):
        pledge_update(actor=CELL, pledge_id=hand_built["pledge"].pk, quantity=150)
    assert as_of(D(2024, 3, 15), hand_built["usa"], item) == [("below_guideline", 800, 300, 500, 500)]
    recomputed = engine.shortfalls_compute(pairs=[(hand_built["usa"].pk, item.pk)], as_of=D(2024, 3, 15))
    assert next(iter(recomputed.values())).owed == 150
    today_version = versions(hand_built["usa"], item)[-1]
    assert today_version[:2] == (timezone.localdate(), None) and today_version[4] == 50  # owed 150 - 100 shipped


def test_the_daily_record_writes_only_what_changed(hand_built, item):
    before = list(ShortfallVersion.objects.order_by("pk").values_list("pk", "valid_from", "valid_to", "recorded_at"))
    engine.shortfalls_recompute(pairs=None)
    engine.shortfalls_recompute(pairs=[(hand_built["usa"].pk, item.pk)])
    after = list(ShortfallVersion.objects.order_by("pk").values_list("pk", "valid_from", "valid_to", "recorded_at"))
    assert after == before  # nothing changed: not one write


def test_a_change_today_ends_the_version_and_starts_one(hand_built, item, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    usa = hand_built["usa"]
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_report_create(actor=CELL, nation=usa, item=item, quantity=2000, as_of=today)
    history = versions(usa, item)
    assert history[-2] == (D(2024, 4, 1), today, "below_guideline", 800, 200, 600, 400)
    assert history[-1] == (today, None, "ok", 2000, 200, 1800, 0)
    assert as_of(today - dt.timedelta(days=1), usa, item) == [("below_guideline", 800, 200, 600, 400)]


def test_a_pair_that_loses_its_row_ends_its_version(nations, item, django_capture_on_commit_callbacks):
    """A national-stock pledge alone gives a pair a row; cancelled today, the row goes and the version ends."""
    with django_capture_on_commit_callbacks(execute=True):
        pledge = pledge_create(actor=CELL, donor=nations["USA"], recipient=nations["UKR"], item=item, quantity=5,
                               announced_on=D(2024, 2, 1), due_on=D(2024, 12, 31), source="national_stock",
                               status="committed", releasability="alliance")
    assert [v[:3] for v in versions(nations["USA"], item)] == [(D(2024, 2, 1), None, "no_report")]
    with django_capture_on_commit_callbacks(execute=True):
        pledge_update(actor=CELL, pledge_id=pledge.pk, status="cancelled")
    assert [v[:3] for v in versions(nations["USA"], item)] == [(D(2024, 2, 1), timezone.localdate(), "no_report")]


def test_a_nation_reads_only_its_own_history(hand_built, item):
    pol = Scope(nation_id=hand_built["pol"].pk, nation_code="POL", nation_role="ally")
    assert as_of(D(2024, 3, 15), hand_built["usa"], item, actor=pol) == []
    assert as_of(D(2024, 3, 15), hand_built["pol"], item, actor=pol) == [("no_report", None, 0, None, 0)]


def test_the_rebuild_is_idempotent_and_the_command_reports(hand_built, capsys):
    before = list(ShortfallVersion.objects.order_by("pk").values())
    call_command("rebuild_shortfall_history", verbosity=0)
    assert "0 versions written or changed" in capsys.readouterr().out
    assert list(ShortfallVersion.objects.order_by("pk").values()) == before


def test_the_rebuild_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="not a date"):
        call_command("rebuild_shortfall_history", "--since", "2024-13-01")


def test_a_rebuild_from_a_middle_date_walks_reports_and_shipments_from_there(hand_built, item):
    """The rebuild keeps the latest reports and the shipped quantities from one read on ``since`` and walks
    the later ones (engine.history): rebuilt from a date after a shipment and between two reports, the
    stored figures are those computed from the inputs on every later day, and the versions are unchanged."""
    before = versions(hand_built["usa"], item)
    for since in (D(2024, 2, 15), D(2024, 4, 15)):
        engine.shortfall_history_rebuild_locked(since=since)
        assert versions(hand_built["usa"], item) == before == EXPECTED_USA, since
        day = since
        while day < D(2024, 6, 1):
            stored = {(r.nation.pk, r.item.pk): r.result for r in selectors.shortfalls_as_of(actor=CELL, as_of=day)}
            computed = engine.shortfalls_compute(pairs=None, as_of=day)
            assert stored.keys() == computed.keys(), day
            for pair, result in computed.items():
                assert stored[pair] == result.__class__(**{**vars(result), "inflow_by_month": ()}), (day, pair)
            day += dt.timedelta(days=9)


def test_a_large_rebuild_refreshes_the_planners_statistics_on_postgresql(hand_built, monkeypatch):
    """After a rebuild that writes many versions the table is analysed at once (PostgreSQL): the planner
    then knows how many versions there are (``pg_class.reltuples``, -1 before any ANALYZE) instead of
    picking nested loops for "the versions valid on a day" until autovacuum comes by."""
    if connection.vendor != "postgresql":
        pytest.skip("ANALYZE and pg_class are PostgreSQL's")

    def reltuples() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [ShortfallVersion._meta.db_table])
            return cursor.fetchone()[0]

    monkeypatch.setattr(run, "ANALYZE_AFTER_VERSIONS", 1)
    ShortfallVersion.objects.all().delete()
    engine.shortfall_history_rebuild_locked(since=D(2024, 1, 1))
    assert reltuples() == ShortfallVersion.objects.count() > 0
