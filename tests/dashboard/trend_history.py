"""A hand-built history of the figures (ShortfallVersion rows, dated from today) for the trend charts.

Items (category): A "155 mm HE projectile" (artillery, rounds, EUR 10 a round), B "Air-defence launcher"
(air defence, systems, EUR 1,000 each), C "Fuze" (artillery, units, no reference value).

- USA, A: short by 500 (available 500 of 1,000) from 30 months ago, 300 (available 700) from 6 months ago,
  producing 100 a month: ahead 300, 200, 100, 0, ...
- POL, A: short by 200 (available 800 of 1,000) from 12 months ago, no production, an order of 150 due in 2
  months (the version counts it as contracted inflow): ahead 200, 200, 50, 50, ...
- USA, B: short by 2 (available 8 of 10) from 3 months ago: ahead 2 (no production).
- USA, C: short by 50 (available 50 of 100) from 3 months ago (no reference value: left out of EUR totals).
- DEU, A: at guideline (shortfall 0) from 12 months ago.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from coordination.models import Item
from stockpiles.models import ShortfallVersion
from stockpiles.shortfalls import add_months
from tests import factories


def version(nation, item, start, end, *, shortfall, available, guideline, rate=None, contracted=0):
    return ShortfallVersion.objects.create(
        nation=nation, item=item, valid_from=start, valid_to=end, on_hand=available, guideline=guideline, owed=0,
        available=available, shortfall=shortfall, coverage=available / guideline, rate=rate,
        months_to_recover=None, contracted_inflow=contracted, not_recovering=shortfall > 0 and not rate,
        status="below_guideline" if shortfall else "ok", recorded_at=timezone.now())


def build(nations) -> dict:
    today = timezone.localdate()
    ago = lambda months: add_months(today, -months)  # noqa: E731
    deu = factories.NationFactory(code="DEU", name="Germany")
    artillery = factories.CategoryFactory(name="Artillery ammunition")
    air = factories.CategoryFactory(name="Air defence")
    a = factories.ItemFactory(name="155 mm HE projectile", category=artillery, unit=Item.Unit.ROUNDS, unit_value_eur=10)
    b = factories.ItemFactory(name="Air-defence launcher", category=air, unit=Item.Unit.SYSTEMS, unit_value_eur=1000)
    c = factories.ItemFactory(name="Fuze", category=artillery, unit=Item.Unit.UNITS, unit_value_eur=None)
    usa, pol = nations["USA"], nations["POL"]
    version(usa, a, ago(30), ago(6), shortfall=500, available=500, guideline=1000)
    version(usa, a, ago(6), None, shortfall=300, available=700, guideline=1000, rate=100)
    version(pol, a, ago(12), None, shortfall=200, available=800, guideline=1000, contracted=150)
    version(usa, b, ago(3), None, shortfall=2, available=8, guideline=10)
    version(usa, c, ago(3), None, shortfall=50, available=50, guideline=100)
    version(deu, a, ago(12), None, shortfall=0, available=1000, guideline=1000)
    # POL's order: its report in use is of 20 days ago, the line is due in two months
    factories.StockReportFactory(nation=pol, item=a, quantity=800, as_of=today - dt.timedelta(days=20))
    order = factories.OrderFactory(nation=pol, item=a, quantity=150, ordered_on=ago(13))
    factories.OrderScheduleLineFactory(order=order, due_on=add_months(today, 2), quantity=150)
    return {"today": today, "ago": ago, "a": a, "b": b, "c": c, "usa": usa, "pol": pol, "deu": deu}


def usa_a(day: dt.date, today: dt.date) -> int | None:
    """USA's shortfall of A on ``day`` (the hand-built versions)."""
    if day < add_months(today, -30):
        return None
    return 500 if day < add_months(today, -6) else 300


def pol_a(day: dt.date, today: dt.date) -> int | None:
    return None if day < add_months(today, -12) else 200


def usa_b(day: dt.date, today: dt.date) -> int | None:
    return None if day < add_months(today, -3) else 2
