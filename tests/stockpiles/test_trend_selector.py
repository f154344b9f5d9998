"""``selectors.shortfall_trend`` against the pure module: the past the database sums per line and date equals
``shortfalls.total_on`` over the stored versions, and the projection from stored figures (with the schedule lines
read for the pairs with contracts) equals the engine's own projection from its inputs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from coordination.access import CELL
from stockpiles import engine, selectors, services, shortfalls
from stockpiles.models import ShortfallVersion
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(nations, django_capture_on_commit_callbacks):
    """Two allies and one item, real inputs over the last two years: reports, a guideline, a production rate
    (USA), an order with schedule lines, one received after USA's report (counted) and one due ahead (POL, USA)."""
    today = timezone.localdate()
    item = factories.ItemFactory(name="155 mm HE projectile", unit="rounds", unit_value_eur=5)
    usa, pol = nations["USA"], nations["POL"]
    with django_capture_on_commit_callbacks(execute=True):
        factories.GuidelineFactory(item=item, minimum_quantity=10_000, effective_from=today - dt.timedelta(days=800))
        for days, usa_q, pol_q in ((700, 9_000, 4_000), (400, 6_000, 5_000), (90, 7_000, 3_000), (10, 6_500, 3_500)):
            day = today - dt.timedelta(days=days)
            services.stock_report_create(actor=CELL, nation=usa, item=item, quantity=usa_q, as_of=day)
            services.stock_report_create(actor=CELL, nation=pol, item=item, quantity=pol_q, as_of=day)
        factories.ProductionRateFactory(nation=usa, item=item, units_per_month=400,
                                        effective_from=today - dt.timedelta(days=300))
        for nation, lines in ((usa, [(-5, 1_000, today - dt.timedelta(days=3)), (70, 2_000, None)]),
                              (pol, [(40, 1_500, None), (200, 3_000, None)])):
            order = factories.OrderFactory(nation=nation, item=item, quantity=10_000,
                                           ordered_on=today - dt.timedelta(days=120))
            for due, quantity, received in lines:
                factories.OrderScheduleLineFactory(order=order, due_on=today + dt.timedelta(days=due),
                                                   quantity=quantity, received_on=received)
    engine.shortfalls_recompute(pairs=None)
    engine.shortfall_history_rebuild_locked()
    return {"today": today, "item": item, "usa": usa, "pol": pol}


def test_the_past_is_the_pure_total_over_the_versions(world):
    trend = selectors.shortfall_trend(actor=CELL, by="nation", item=world["item"].pk, months=24)
    assert len(trend.lines) == 2
    for line in trend.lines:
        versions = [(start, end, short) for start, end, short in ShortfallVersion.objects.filter(
            nation_id=line.key, item=world["item"]).values_list("valid_from", "valid_to", "shortfall")]
        for day, value in zip(trend.past_dates, line.past, strict=True):
            valid = [v for v in versions if v[0] <= day and (v[1] is None or day < v[1])]
            assert value == (shortfalls.total_on(versions, day) if valid else None), (line.label, day)
    assert any(v not in (None, 0) for line in trend.lines for v in line.past)  # the test sees figures


def test_the_projection_is_the_engines(world):
    pairs = [(world["usa"].pk, world["item"].pk), (world["pol"].pk, world["item"].pk)]
    computed = engine.shortfalls_compute(pairs=pairs)
    assert any(r.inflow_by_month for r in computed.values())  # contracts count ahead
    expected = shortfalls.projected_totals(computed.values(), 12)
    trend = selectors.shortfall_trend(actor=CELL, item=world["item"].pk, ahead=12)
    [line] = trend.lines
    assert list(zip(trend.ahead_dates, line.projected, strict=True)) == expected
    assert line.projected[0] > line.projected[-1]  # it recovers
    # in EUR: the same path at 5 a round
    eur = selectors.shortfall_trend(actor=CELL, item=world["item"].pk, ahead=12, eur=True)
    assert eur.lines[0].projected == [5 * v for v in line.projected]
    # as of a past date: the engine as of that date
    day = world["today"] - dt.timedelta(days=60)
    expected = shortfalls.projected_totals(engine.shortfalls_compute(pairs=pairs, as_of=day).values(), 12)
    trend = selectors.shortfall_trend(actor=CELL, item=world["item"].pk, ahead=12, as_of=day)
    assert list(zip(trend.ahead_dates, trend.lines[0].projected, strict=True)) == expected
