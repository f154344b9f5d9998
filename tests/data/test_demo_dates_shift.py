"""Loading the demo for two different days (``load_demo --today``) moves every illustrative date with the day —
by the days between them for dates counted in days (pledges, deliveries, training, stock reports), by the
months between them for dates counted in months (guideline periods, illustrative production rates,
agreements, orders and their schedules) — while the source facts keep their dates."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from pledges.models import Delivery, Pledge, TrainingCommitment
from stockpiles.models import (
    AgreementParticipant,
    FrameworkAgreement,
    Order,
    OrderScheduleLine,
    ProductionRate,
    StockpileGuideline,
    StockReport,
)
from stockpiles.shortfalls import add_months

FIRST = dt.date(2026, 3, 10)
LATER = dt.date(2026, 6, 10)  # 92 days, or 3 months, later
DAYS, MONTHS = (LATER - FIRST).days, 3


class _Undo(Exception):
    """Leaves the load's savepoint (rolled back) with what was read inside it."""

    def __init__(self, dates):
        super().__init__()
        self.dates = dates


def _dates() -> dict[str, dict]:
    return {
        "pledges": {p.reference: (p.announced_on, p.due_on) for p in Pledge.objects.all()},
        "deliveries": {d.reference: (d.shipped_on, d.delivered_on) for d in Delivery.objects.all()},
        "training": {(t.donor.code, t.programme): (t.start_on, t.end_on)
                     for t in TrainingCommitment.objects.select_related("donor")},
        "stock": {(code, item): day for code, item, day in StockReport.objects.order_by("as_of").values_list(
            "nation__code", "item__name", "as_of")},
        "guidelines": {(g.item.name, g.nation.code if g.nation_id else None, g.minimum_quantity):
                       (g.effective_from, g.effective_to)
                       for g in StockpileGuideline.objects.select_related("item", "nation")},
        "rates": {(r.nation.code, r.item.name, r.units_per_month, r.line_id is None): r.effective_from
                  for r in ProductionRate.objects.select_related("nation", "item")},
        "agreements": {a.name: (a.valid_from, a.valid_to) for a in FrameworkAgreement.objects.all()},
        "participants": {(p.agreement.name, p.nation.code): p.joined_on
                         for p in AgreementParticipant.objects.select_related("agreement", "nation")},
        "orders": {o.reference: o.ordered_on for o in Order.objects.all()},
        "schedules": {(s.order.reference, s.quantity, n): (s.due_on, s.received_on) for n, s in enumerate(
            OrderScheduleLine.objects.select_related("order").order_by("order__reference", "due_on"))},
    }


def _load(day: dt.date) -> dict[str, dict]:
    try:
        with transaction.atomic():
            call_command("load_demo", f"--today={day.isoformat()}", "--no-logins", stdout=StringIO())
            raise _Undo(_dates())
    except _Undo as undo:
        return undo.dates


def _days(day):
    return None if day is None else day + dt.timedelta(days=DAYS)


def _months(day):
    """``MONTHS`` later; a month's last day stays its month's last day (31 Dec → 31 Mar)."""
    if day is None:
        return None
    next_day = day + dt.timedelta(days=1)
    if next_day.day == 1:
        return add_months(next_day, MONTHS) - dt.timedelta(days=1)
    return add_months(day, MONTHS)


@pytest.mark.django_db
def test_loading_on_a_later_day_moves_the_illustrative_dates_and_keeps_the_facts():
    first, later = _load(FIRST), _load(LATER)
    assert first.keys() == later.keys()
    for kind in first:
        assert first[kind].keys() == later[kind].keys(), kind
        assert first[kind], kind

    facts = {ref for ref in first["pledges"] if ref.startswith("DEMO-EU-1M")}
    assert len(facts) == 2
    for ref, (announced, due) in first["pledges"].items():
        expected = (announced, due) if ref in facts else (_days(announced), _days(due))
        assert later["pledges"][ref] == expected, ref
    for ref, dates in first["deliveries"].items():
        fact = ref.startswith("DEMO-EU-1M")
        assert later["deliveries"][ref] == (dates if fact else tuple(map(_days, dates))), ref
    for key, dates in first["training"].items():
        assert later["training"][key] == tuple(map(_days, dates)), key
    for key, day in first["stock"].items():  # each series' latest report
        assert later["stock"][key] == _days(day), key
    for key, dates in first["guidelines"].items():
        assert later["guidelines"][key] == tuple(map(_months, dates)), key
    moved = 0
    for (code, item, units, national), day in first["rates"].items():
        fact = (item == "155 mm HE projectile" and code in ("USA", "DEU", "FRA", "POL")) or not national
        assert later["rates"][(code, item, units, national)] == (day if fact else _months(day)), (code, item)
        moved += not fact
    assert moved >= 8
    for kind in ("agreements", "participants", "orders", "schedules"):
        for key, value in first[kind].items():
            shifted = tuple(map(_months, value)) if isinstance(value, tuple) else _months(value)
            assert later[kind][key] == shifted, (kind, key)
