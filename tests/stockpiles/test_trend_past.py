"""The past of ``selectors.shortfall_trend`` (each version summed once by the indexes of the series dates it
starts and ends at, accumulated in Python) equals the straightforward sum of each date's valid versions
(``selectors.versions_valid_on``, the one definition of "valid on D"), on hand-built histories whose versions
start and end exactly on, a day before and a day after the series dates (month ends clamped), open-ended ones,
versions valid on no date, NULL guidelines, items without a reference value in EUR; ungrouped and by category,
item and nation; with and without filters; today and as of a past date; for the cell and for a nation."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from coordination.access import CELL, Scope
from stockpiles import selectors, shortfalls
from stockpiles.models import ShortfallVersion
from tests import factories

pytestmark = pytest.mark.django_db

MONTHS = 24
CLAMPED = dt.date(2025, 3, 31)  # its series has 2024-02-29, 2024-04-30, ... (add_months clamps)


def _version(nation, item, start, end, shortfall, guideline):
    return ShortfallVersion(
        nation=nation, item=item, valid_from=start, valid_to=end, on_hand=None, guideline=guideline, owed=0,
        available=None if guideline is None else guideline - shortfall, shortfall=shortfall, coverage=None,
        rate=None, months_to_recover=None, contracted_inflow=0, not_recovering=False,
        status="below_guideline" if shortfall else "ok", recorded_at=timezone.now())


@pytest.fixture
def world(nations):
    """Three nations x four items (two categories; item c has no reference value, b a fractional one). Each
    pair's versions follow one another between boundaries drawn from the series dates of today and of
    ``CLAMPED`` (each date, the day before, the day after), some with a gap between them; the last one is
    open-ended or not; some guidelines are NULL. Plus, by hand: a version valid on no series date (between two
    of them), one ending exactly on a series date, one starting on it, one starting after today."""
    today = timezone.localdate()
    deu = factories.NationFactory(code="DEU", name="Germany")
    cat1 = factories.CategoryFactory(name="Artillery ammunition")
    cat2 = factories.CategoryFactory(name="Air defence")
    a = factories.ItemFactory(name="155 mm HE projectile", category=cat1, unit_value_eur=10)
    b = factories.ItemFactory(name="Fuze", category=cat1, unit_value_eur=Decimal("2.50"))
    c = factories.ItemFactory(name="Charge", category=cat2, unit_value_eur=None)
    d = factories.ItemFactory(name="Launcher", category=cat2, unit_value_eur=1000)
    series = shortfalls.series_dates(today, MONTHS) + shortfalls.series_dates(CLAMPED, MONTHS)
    candidates = sorted({day + dt.timedelta(days=shift) for day in series for shift in (-1, 0, 1)})
    rng = random.Random(15)
    rows = []
    for nation in (nations["USA"], nations["POL"], deu):
        for item in (a, b, c, d):
            bounds = sorted(rng.sample(candidates, 9))
            k = 0
            while k < len(bounds) - 1:
                start, end = bounds[k], bounds[k + 1]
                if k == len(bounds) - 2 and rng.random() < 0.6:
                    end = None  # still current
                rows.append(_version(nation, item, start, end, rng.choice([0, 0, 7, 120, 3_000]),
                                     rng.choice([None, 1_000, 5_000])))
                k += rng.choice([1, 1, 2])  # now and then a gap: no row for those days
    usa = nations["USA"]
    day = shortfalls.series_dates(today, MONTHS)
    e = factories.ItemFactory(name="Mortar bomb", category=cat1, unit_value_eur=4)
    rows += [
        _version(usa, e, day[3] + dt.timedelta(days=1), day[4], 50, 100),  # valid on no date
        _version(usa, e, day[4], day[6], 60, None),  # from a date to a date: valid on day[4] and day[5]
        _version(usa, e, day[6], day[24] + dt.timedelta(days=1), 70, 100),  # ends the day after today
        _version(usa, e, day[24] + dt.timedelta(days=1), None, 80, 100),  # after today
    ]
    ShortfallVersion.objects.bulk_create(rows)
    return {"today": today, "usa": usa, "pol": nations["POL"], "cat1": cat1, "a": a, "e": e}


def straightforward(*, scope, by, as_of, eur, item=None, nation=None, category=None):
    """Each line's past and past guideline: per series date, the database's sum over the versions valid then
    (``versions_valid_on``), grouped like the trend; lines without any figure left out."""
    dates = shortfalls.series_dates(as_of, MONTHS)
    key = selectors.TREND_GROUPS[by][0] if by else None
    lines: dict = {}
    for k, on in enumerate(dates):
        qs = selectors.versions_valid_on(on, scope=scope)
        if item is not None:
            qs = qs.filter(item_id=item)
        if nation is not None:
            qs = qs.filter(nation_id=nation)
        if category is not None:
            qs = qs.filter(item__category_id=category)
        value = F("shortfall")
        if eur:
            qs = qs.filter(item__unit_value_eur__isnull=False)
            value = ExpressionWrapper(F("shortfall") * F("item__unit_value_eur"),
                                      output_field=DecimalField(max_digits=32, decimal_places=2))
        rows = list(qs.values(key).annotate(s=Sum(value), g=Sum("guideline"))) if key else [
            qs.aggregate(s=Sum(value), g=Sum("guideline"))]
        for row in rows:
            past, guide = lines.setdefault(row[key] if key else None, ([None] * len(dates), [None] * len(dates)))
            past[k] = None if row["s"] is None else int(round(row["s"]))
            guide[k] = None if row["g"] is None else int(round(row["g"]))
    return {key: line for key, line in lines.items() if any(v is not None for v in line[0])}


def computed(**kwargs):
    trend = selectors.shortfall_trend(months=MONTHS, ahead=2, **kwargs)
    assert trend.past_dates == shortfalls.series_dates(kwargs["as_of"], MONTHS)
    return {line.key: (line.past, line.past_guideline) for line in trend.lines}


@pytest.mark.parametrize("by", [None, "category", "item", "nation"])
@pytest.mark.parametrize("eur", [False, True])
def test_the_past_is_the_sum_of_the_versions_valid_on_each_date(world, by, eur):
    pol = Scope(nation_id=world["pol"].pk, nation_code="POL", nation_role="ally")
    seen = 0
    for as_of in (world["today"], CLAMPED, world["today"] - dt.timedelta(days=200)):
        for scope in (CELL, pol):
            for filters in ({}, {"nation": world["usa"].pk}, {"item": world["a"].pk},
                            {"category": world["cat1"].pk}, {"item": world["e"].pk}):
                expected = straightforward(scope=scope, by=by, as_of=as_of, eur=eur, **filters)
                assert computed(actor=scope, by=by, as_of=as_of, eur=eur, **filters) == expected, (
                    as_of, scope, filters)
                seen += sum(v is not None for past, _g in expected.values() for v in past)
    assert seen > 100  # the histories have figures on many of the dates


def test_the_hand_built_edges(world):
    """Mortar bomb (USA): 60 on the two dates its version spans from one to the next, 70 from the 7th to today;
    its version between two dates never shows; the guideline is NULL where no valid version has one."""
    trend = selectors.shortfall_trend(actor=CELL, item=world["e"].pk, as_of=world["today"], months=MONTHS)
    [line] = trend.lines
    assert line.past == [None] * 4 + [60, 60] + [70] * 19
    assert line.past_guideline == [None] * 6 + [100] * 19
    eur = selectors.shortfall_trend(actor=CELL, item=world["e"].pk, as_of=world["today"], months=MONTHS, eur=True)
    assert eur.lines[0].past == [None] * 4 + [240, 240] + [280] * 19
