"""The set-based full recompute (PostgreSQL, ``stockpiles.engine.setbased``) gives exactly the rows of the
Python formulas (``stockpiles.shortfalls`` through ``shortfalls_compute_with_failures(pairs=None)``): every
column, on generated worlds that visit the edge cases (reports dated after today, guidelines ended, not yet
started, of 0, national over alliance-wide; rates of 0, not started, a production line's; pledges cancelled,
from new production, announced later, over-shipped; orders with schedule lines, cancelled or received; quantities
at and above 2^53; recovery dates past year 9999 and at a month's end)."""

import datetime as dt
import random

import pytest
from django.db import transaction
from django.utils import timezone

from coordination.models import Nation
from pledges.models import Pledge
from stockpiles import engine, shortfalls
from stockpiles.engine import inputs as engine_inputs
from stockpiles.engine import run as engine_run
from stockpiles.engine import setbased
from stockpiles.models import (
    CurrentStock,
    Order,
    OrderScheduleLine,
    ProductionRate,
    Shortfall,
    StockpileGuideline,
    StockReport,
)
from tests import factories
from tests.conftest import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db]

COMPARED = ("nation_id", "item_id", *engine.RESULT_COLUMNS, "failed", "failure")
BIG = 2 ** 53


def _quantity(rng: random.Random) -> int:
    return rng.choice([
        0, 1, 7, rng.randint(0, 50), rng.randint(0, 20_000), rng.randint(0, 10 ** 9), BIG - 1, BIG, BIG + 3,
        rng.randint(10 ** 6, 10 ** 7),
    ])


def _day(rng: random.Random, today: dt.date) -> dt.date:
    return today + dt.timedelta(days=rng.choice([-900, -400, -31, -30, -1, 0, 0, 1, 40, rng.randint(-700, 60)]))


def build_world(seed: int, today: dt.date) -> None:
    rng = random.Random(seed)
    recipient = factories.NationFactory(role=Nation.Role.RECIPIENT)
    nations = [recipient, *(factories.NationFactory() for _ in range(5))]
    items = [factories.ItemFactory() for _ in range(12)]
    pairs = [(n, i) for n in nations for i in items]

    reports = []
    for n, i in rng.sample(pairs, k=len(pairs) * 2 // 3):
        reports.append(StockReport(nation=n, item=i, quantity=_quantity(rng), as_of=_day(rng, today)))
    StockReport.objects.bulk_create(reports)
    CurrentStock.objects.bulk_create(
        CurrentStock(nation=r.nation, item=r.item, quantity=r.quantity, as_of=r.as_of, report=r) for r in reports)

    guidelines = []
    for i in items:
        starts = sorted(rng.sample(range(-800, 60), k=rng.choice([0, 1, 1, 2, 3])))
        for k, start in enumerate(starts):
            end = None if k == len(starts) - 1 or rng.random() < 0.3 else today + dt.timedelta(
                days=rng.choice([-1, 0, starts[k + 1] - 1]))
            begin = today + dt.timedelta(days=start)
            if end is not None and end < begin:
                end = begin
            guidelines.append(StockpileGuideline(item=i, nation=None, minimum_quantity=_quantity(rng),
                                                 effective_from=begin, effective_to=end))
    for n, i in rng.sample(pairs, k=len(pairs) // 6):
        for start in sorted(rng.sample(range(-600, 30), k=rng.choice([1, 2]))):
            guidelines.append(StockpileGuideline(item=i, nation=n, effective_from=today + dt.timedelta(days=start),
                                                 minimum_quantity=rng.choice([0, _quantity(rng)]),
                                                 effective_to=rng.choice([None, None, today, today - dt.timedelta(
                                                     days=1)]) if start <= -1 else None))
    StockpileGuideline.objects.bulk_create(guidelines)

    rates = []
    for n, i in rng.sample(pairs, k=len(pairs) // 3):
        for start in sorted(rng.sample(range(-500, 40), k=rng.choice([1, 1, 2]))):
            rates.append(ProductionRate(nation=n, item=i, effective_from=today + dt.timedelta(days=start),
                                        units_per_month=rng.choice([0, 1, 3, 7, 250, 10 ** 6, BIG - 1, BIG])))
    ProductionRate.objects.bulk_create(rates)
    line = factories.ProductionLineFactory(manufacturer__nation=nations[1], item=items[0])
    factories.LineRateFactory(line=line, units_per_month=999)  # industrial capacity: never the nation's rate

    pledges = []
    for _ in range(40):
        n, i = rng.choice(pairs[len(items):])  # allies' pairs
        quantity = rng.choice([0, 10, 500, 20_000, rng.randint(0, 10 ** 6), BIG])
        shipped = rng.choice([0, quantity, quantity // 2])
        pledges.append(Pledge(
            donor=n, recipient=recipient, item=i, quantity=quantity, value_eur=1000,
            allocated_quantity=shipped, shipped_quantity=shipped, delivered_quantity=0,
            announced_on=(announced := _day(rng, today)), due_on=announced + dt.timedelta(days=30),
            source=rng.choice([Pledge.Source.NATIONAL_STOCK] * 3 + [Pledge.Source.NEW_PRODUCTION]),
            status=rng.choice([Pledge.Status.COMMITTED, Pledge.Status.ANNOUNCED, Pledge.Status.CANCELLED]),
            releasability="alliance"))
    Pledge.objects.bulk_create(pledges)

    for _ in range(8):
        n, i = rng.choice(pairs)
        order = factories.OrderFactory(nation=n, item=i, ordered_on=_day(rng, today),
                                       status=rng.choice([Order.Status.PLACED, Order.Status.CANCELLED]))
        for k in range(rng.choice([0, 1, 2])):
            due = today + dt.timedelta(days=rng.choice([-60, -5, 10, 45, 400]) + k)
            received = rng.choice([None, None, today - dt.timedelta(days=rng.randint(0, 900))])
            OrderScheduleLine.objects.create(order=order, due_on=due, quantity=rng.choice([0, 100, 5000]),
                                             received_on=received)


def python_results(today: dt.date):
    return engine.shortfalls_compute_with_failures(pairs=None, as_of=today)


def setbased_results(today: dt.date):
    with transaction.atomic():
        results, python_pairs, received_after = setbased.compute(as_of=today)
        rest, failures = engine.compute_isolated(engine.shortfall_inputs(
            pairs=sorted(python_pairs), as_of=today, received_after=received_after))
        transaction.set_rollback(True)
    return {**results, **rest}, failures, results


@pytest.mark.parametrize("seed", range(8))
def test_setbased_results_equal_the_formulas(seed):
    today = timezone.localdate()
    build_world(seed, today)
    expected, expected_failures = python_results(today)
    got, failures, by_sql = setbased_results(today)
    assert got.keys() == expected.keys()
    for pair, result in expected.items():
        assert got[pair] == result, pair
    assert failures == expected_failures
    assert by_sql, "the database computed no pair: the test would not test it"
    # The generated worlds reach the cases the restriction has to get right, on the SQL side.
    statuses = {r.status for r in by_sql.values()}
    assert {shortfalls.NO_REPORT, shortfalls.BELOW_GUIDELINE}.issubset(statuses)


def test_edge_cases_by_hand(monkeypatch):
    """Hand-picked pairs, each for one rule: a month-end recovery date, a zero rate, a report dated after the
    day, a quantity of 2^53 (Python's), a contracted inflow (Python's). The day is 31 January 2024: the
    engine's read takes it for today."""
    today = dt.date(2024, 1, 31)
    monkeypatch.setattr(engine_inputs, "_today", lambda: today)
    a, b, c, d, e, f = (factories.NationFactory() for _ in range(6))
    item = factories.ItemFactory()
    factories.GuidelineFactory(item=item, minimum_quantity=10_000)

    def stock(nation, quantity, as_of=dt.date(2024, 1, 1)):
        report = StockReport.objects.create(nation=nation, item=item, quantity=quantity, as_of=as_of)
        CurrentStock.objects.create(nation=nation, item=item, quantity=quantity, as_of=as_of, report=report)

    stock(a, 7000)
    factories.ProductionRateFactory(nation=a, item=item, units_per_month=3000)  # 1 month: 2024-02-29
    stock(b, 0)
    factories.ProductionRateFactory(nation=b, item=item, units_per_month=1)  # 10,000 months
    stock(c, 1)
    factories.ProductionRateFactory(nation=c, item=item, units_per_month=0)  # not recovering
    stock(d, 5, as_of=dt.date(2024, 3, 1))  # reported after the date: no report yet
    stock(e, BIG)  # Python's
    stock(f, 100)
    order = factories.OrderFactory(nation=f, item=item, ordered_on=dt.date(2024, 1, 2))
    OrderScheduleLine.objects.create(order=order, due_on=dt.date(2024, 2, 10), quantity=9_900)
    expected, _ = python_results(today)
    got, _, by_sql = setbased_results(today)
    assert got == expected
    assert (a.pk, item.pk) in by_sql and by_sql[(a.pk, item.pk)].recovers_on == dt.date(2024, 2, 29)
    assert by_sql[(b.pk, item.pk)].months_to_recover == 10_000
    assert by_sql[(b.pk, item.pk)].recovers_on == dt.date(2857, 5, 31)  # 2024-01 + 10,000 months, clamped
    assert by_sql[(c.pk, item.pk)].not_recovering
    assert by_sql[(d.pk, item.pk)].status == shortfalls.NO_REPORT
    assert (e.pk, item.pk) not in by_sql and (f.pk, item.pk) not in by_sql
    assert got[(f.pk, item.pk)].contracted_inflow == 9_900


def test_year_9999_has_no_recovery_date():
    today = timezone.localdate()
    nation, item = factories.NationFactory(), factories.ItemFactory()
    factories.GuidelineFactory(item=item, minimum_quantity=10 ** 9)
    report = StockReport.objects.create(nation=nation, item=item, quantity=0, as_of=today)
    CurrentStock.objects.create(nation=nation, item=item, quantity=0, as_of=today, report=report)
    factories.ProductionRateFactory(nation=nation, item=item, units_per_month=1)
    expected, _ = python_results(today)
    got, _, by_sql = setbased_results(today)
    assert got == expected and by_sql[(nation.pk, item.pk)].recovers_on is None
    assert by_sql[(nation.pk, item.pk)].months_to_recover == 10 ** 9


@pytest.mark.parametrize("seed", range(3))
def test_stored_rows_equal_the_all_python_full_recompute(seed, monkeypatch):
    """The rows, alerts and history the full recompute leaves are the same with and without the set-based path."""
    from stockpiles.models import Alert, ShortfallVersion

    build_world(100 + seed, timezone.localdate())
    monkeypatch.setattr(setbased, "applies", lambda: False)
    engine.shortfalls_recompute(pairs=None)
    compared_versions = ("nation_id", "item_id", "valid_from", "valid_to", *shortfalls.VERSION_FIGURES)
    python_rows = sorted(Shortfall.objects.values_list(*COMPARED))
    python_alerts = sorted(Alert.objects.filter(closed_at__isnull=True).values_list("key", "message"))
    python_versions = sorted(ShortfallVersion.objects.values_list(*compared_versions))
    Shortfall.objects.all().delete()
    Alert.objects.all().delete()
    ShortfallVersion.objects.all().delete()

    monkeypatch.setattr(setbased, "applies", lambda: True)
    calls = []
    monkeypatch.setattr(engine_run, "_full_recompute_setbased",
                        lambda original=engine_run._full_recompute_setbased: calls.append(1) or original())
    engine.shortfalls_recompute(pairs=None)
    assert calls == [1]
    assert sorted(Shortfall.objects.values_list(*COMPARED)) == python_rows
    assert sorted(Alert.objects.filter(closed_at__isnull=True).values_list("key", "message")) == python_alerts
    assert sorted(ShortfallVersion.objects.values_list(*compared_versions)) == python_versions
    # Run again: nothing changed, so the database rewrites none of its rows (the few pairs left to the Python
    # formulas are stored by the ordinary small upsert, which rewrites them).
    before = {(n, i): at for n, i, at in Shortfall.objects.values_list("nation_id", "item_id", "computed_at")}
    engine.shortfalls_recompute(pairs=None)
    after = {(n, i): at for n, i, at in Shortfall.objects.values_list("nation_id", "item_id", "computed_at")}
    rewritten = {pair for pair in before if after[pair] != before[pair]}
    _, python_pairs, _ = setbased_results_pairs()
    assert len(rewritten) < len(before) and rewritten <= python_pairs


def setbased_results_pairs():
    with transaction.atomic():
        found = setbased.compute(as_of=timezone.localdate())
        transaction.set_rollback(True)
    return found
