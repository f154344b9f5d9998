"""The scale-data generator: exact sizes, consistent derived columns, deterministic, refuses to mix."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Q, Sum

from coordination.models import Item, Nation
from loaders.scale import ScaleSizes, latest_report_day, nation_codes, scale_data_generate
from pledges.models import Delivery, Pledge
from stockpiles.models import CurrentStock, Shortfall, ShortfallMark, StockpileGuideline, StockReport
from tests import factories

TODAY = dt.date(2026, 11, 25)  # a Wednesday
SMALL = ScaleSizes(nations=6, items=12, reports=900, pledges=40, deliveries=150)


def _snapshot() -> dict[str, list[tuple]]:
    return {
        "nations": list(Nation.objects.order_by("pk").values_list("pk", "code", "role", "joined_on")),
        "items": list(Item.objects.order_by("pk").values_list("pk", "name", "nsn", "unit_value_eur")),
        "reports": list(StockReport.objects.order_by("pk").values_list("pk", "nation_id", "item_id", "quantity",
                                                                       "as_of")),
        "guidelines": list(StockpileGuideline.objects.order_by("pk").values_list(
            "pk", "item_id", "nation_id", "minimum_quantity", "effective_from", "effective_to")),
        "pledges": list(Pledge.objects.order_by("pk").values_list(
            "pk", "donor_id", "item_id", "quantity", "status", "source", "allocated_quantity", "shipped_quantity",
            "delivered_quantity")),
        "deliveries": list(Delivery.objects.order_by("pk").values_list("pk", "pledge_id", "quantity", "status",
                                                                       "shipped_on", "delivered_on")),
    }


@pytest.mark.django_db(transaction=True)
def test_sizes_are_exact_and_derived_columns_consistent():
    result = scale_data_generate(sizes=SMALL, seed=7, today=TODAY, progress=False)

    assert Nation.objects.count() == 6
    assert Nation.objects.filter(role="recipient").get().code == "UKR"
    assert Item.objects.count() == 12
    assert StockReport.objects.count() == 900
    assert Pledge.objects.count() == 40
    assert Delivery.objects.count() == 150
    assert result.counts["stockpiles.StockReport"] == 900
    # Weekly reports on Mondays, the last one strictly before "today" (so a new report today is new).
    assert latest_report_day(TODAY) == dt.date(2026, 11, 23)
    assert StockReport.objects.aggregate(last=Max("as_of"))["last"] == dt.date(2026, 11, 23)
    assert not StockReport.objects.exclude(as_of__week_day=2).exists()  # Django: 2 = Monday
    # Most items have a guideline, and nothing was marked or computed.
    assert StockpileGuideline.objects.filter(nation__isnull=True).values("item").distinct().count() >= 6
    assert not Shortfall.objects.exists() and not ShortfallMark.objects.exists()

    # CurrentStock is exactly the latest report of every reported pair.
    latest = {
        (r.nation_id, r.item_id): r
        for r in StockReport.objects.order_by("as_of")
    }
    current = {(c.nation_id, c.item_id): (c.quantity, c.as_of, c.report_id) for c in CurrentStock.objects.all()}
    assert current == {pair: (r.quantity, r.as_of, r.pk) for pair, r in latest.items()}

    # Pledge totals are the sums of their deliveries and never exceed the pledge.
    sums = Delivery.objects.values("pledge_id").annotate(
        allocated=Sum("quantity", filter=~Q(status="cancelled")),
        shipped=Sum("quantity", filter=Q(status__in=Delivery.SHIPPED)),
        delivered=Sum("quantity", filter=Q(status__in=Delivery.DELIVERED)),
        n=Count("pk"),
    )
    by_pledge = {s["pledge_id"]: s for s in sums}
    assert sum(s["n"] for s in sums) == 150
    for p in Pledge.objects.all():
        s = by_pledge.get(p.pk, {})
        assert p.allocated_quantity == (s.get("allocated") or 0)
        assert p.shipped_quantity == (s.get("shipped") or 0)
        assert p.delivered_quantity == (s.get("delivered") or 0)
        assert p.allocated_quantity <= p.quantity
        if p.status == "cancelled":
            assert p.pk not in by_pledge
    for d in Delivery.objects.filter(status__in=Delivery.DELIVERED):
        assert d.shipped_on <= d.delivered_on <= TODAY


@pytest.mark.django_db(transaction=True)
def test_same_seed_same_rows_other_seed_other_rows():
    scale_data_generate(sizes=SMALL, seed=3, today=TODAY, progress=False)
    first = _snapshot()
    scale_data_generate(sizes=SMALL, seed=3, today=TODAY, clear=True, progress=False)
    assert _snapshot() == first
    scale_data_generate(sizes=SMALL, seed=4, today=TODAY, clear=True, progress=False)
    assert _snapshot()["reports"] != first["reports"]


@pytest.mark.django_db(transaction=True)
def test_refuses_a_database_with_data_unless_cleared():
    factories.NationFactory(code="POL", name="Poland")
    with pytest.raises(ValidationError):
        scale_data_generate(sizes=SMALL, seed=1, today=TODAY, progress=False)
    with pytest.raises(CommandError, match="--clear"):
        call_command("generate_scale_data", "--nations=3", "--items=2", "--reports=10", "--pledges=2",
                     "--deliveries=2", "--no-progress")
    call_command("generate_scale_data", "--nations=3", "--items=2", "--reports=10", "--pledges=2",
                 "--deliveries=3", "--no-progress", "--clear", f"--today={TODAY}")
    assert not Nation.objects.filter(code="POL").exists()
    assert (StockReport.objects.count(), Pledge.objects.count(), Delivery.objects.count()) == (10, 2, 3)


def test_bad_sizes_are_validation_errors():
    with pytest.raises(ValidationError) as exc:
        ScaleSizes(nations=1, items=0, reports=-1, pledges=0, deliveries=5).validate()
    assert set(exc.value.message_dict) == {"nations", "items", "reports", "deliveries"}


def test_nation_codes_are_distinct_valid_and_start_with_the_recipient():
    codes = nation_codes(600)
    assert codes[:3] == ["UKR", "XAA", "XAB"]
    assert len(set(codes)) == 600
    assert all(len(c) == 3 and c.isalpha() and c.isupper() for c in codes)

