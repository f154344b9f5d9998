"""The sourcing worked example (tests/stockpiles/test_sourcing.py) in the database, as of today T,
written through the services; every ally's guideline is the alliance-wide 10,000 of the item.

ally  on hand  rate/month  contracted                 headroom now  m1     m2      m12     earliest 10,000
FRA   50,000   —           —                          40,000        40,000 40,000  40,000  T (now)
DEU    8,000   3,000       —                               0         1,000  4,000  34,000  T + 4 months
ITA   10,000   1,000       15,000 due T + 2 months         0         1,000 17,000  27,000  T + 2 months
POL, USA: no stock report -> unknown (USA is the tests' other ally); UKR (recipient) requires 60,000.

Split of the 60,000 uncovered: FRA 40,000 now; DEU 1,000 and ITA 1,000 at month 1; ITA 16,000 and DEU
2,000 at month 2: fully covered on T + 2 months.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from coordination.access import CELL
from stockpiles import services as stock_services
from stockpiles import shortfalls
from tests import factories


@pytest.fixture(autouse=True)
def disclosure_as_when_written(settings):
    """These tests are about the planner, written with two other nations as the threshold and exact
    figures; the disclosure rules themselves are tested in tests/coordination/test_disclosure.py."""
    settings.AGGREGATE_MIN_OTHER_NATIONS = 2
    settings.AGGREGATE_DOMINANCE_PERCENT = 100
    settings.AGGREGATE_ROUNDING = 1


def build(nations: dict) -> dict:
    today = timezone.localdate()
    fra = factories.NationFactory(code="FRA", name="France")
    deu = factories.NationFactory(code="DEU", name="Germany")
    ita = factories.NationFactory(code="ITA", name="Italy")
    nations["POL"]  # an ally without a report, as is USA
    shell = factories.ItemFactory(name="155 mm HE projectile", unit="rounds")
    factories.GuidelineFactory(item=shell, minimum_quantity=10_000, effective_from=dt.date(2020, 1, 1))
    day = today - dt.timedelta(days=3)
    for nation, quantity in ((fra, 50_000), (deu, 8_000), (ita, 10_000)):
        stock_services.stock_report_create(actor=CELL, nation=nation, item=shell, quantity=quantity, as_of=day)
    factories.ProductionRateFactory(nation=deu, item=shell, units_per_month=3_000, effective_from=dt.date(2020, 1, 1))
    factories.ProductionRateFactory(nation=ita, item=shell, units_per_month=1_000, effective_from=dt.date(2020, 1, 1))
    order = factories.OrderFactory(nation=ita, item=shell, quantity=15_000, ordered_on=today - dt.timedelta(days=30))
    factories.OrderScheduleLineFactory(order=order, due_on=shortfalls.add_months(today, 2), quantity=15_000)
    factories.RequirementFactory(recipient=nations["UKR"], item=shell, quantity=60_000,
                                 period_from=today - dt.timedelta(days=60), period_to=today + dt.timedelta(days=300))
    return {"today": today, "shell": shell, "FRA": fra, "DEU": deu, "ITA": ita, **nations,
            "month": lambda m: shortfalls.add_months(today, m)}
