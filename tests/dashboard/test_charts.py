"""Charts that read right (issue 16, point 5): every donor labelled, no month skipped, guideline lines told
apart, one large nation not flattening the rest, a 100 % line on a nation's coverage chart."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from web.dashboard import item as item_page
from web.dashboard import overview

pytestmark = pytest.mark.django_db


def test_deliveries_chart_has_every_month_between_the_first_and_the_last():
    months = [SimpleNamespace(month=dt.date(2023, 11, 1), value_eur=Decimal("5")),
              SimpleNamespace(month=dt.date(2024, 2, 1), value_eur=Decimal("7"))]
    chart = overview.charts_of([], months)["deliveries_chart"]
    assert chart["labels"] == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert chart["datasets"][0]["data"] == [5.0, 0, 0, 7.0]
    assert overview.charts_of([], [])["deliveries_chart"]["labels"] == []


def test_donor_chart_labels_every_donor():
    donors = [SimpleNamespace(donor=SimpleNamespace(code=f"X{i:02d}"),
                              fulfilment=SimpleNamespace(pledged_value_eur=Decimal(100 - i),
                                                         delivered_value_eur=Decimal(1))) for i in range(12)]
    chart = overview.charts_of(donors, [])["fulfilment_chart"]
    assert chart["labels"] == [f"X{i:02d}" for i in range(12)]
    assert chart["options"]["allLabels"] is True  # dashboard.js: no auto-skipped category labels


def test_guideline_lines_are_told_apart():
    sets = item_page.guideline_sets([("USA", 1_200_000, 0), ("DEU", 60_000, 1), ("FRA", 60_000, 2)], 3)
    assert [(s["label"], s.get("colour")) for s in sets] == [
        ("Guideline 60,000: DEU, FRA", None),  # shared: grey, naming who has it
        ("USA guideline 1,200,000", 0),  # one nation's own: in that nation's colour
    ]
    assert all(s["dashed"] and s["data"] == [s["data"][0]] * 3 for s in sets)


def test_one_large_nation_switches_the_value_axis_to_log():
    flat = [{"data": [1_000_000, 1_200_000]}, {"data": [5_000, None, 4_000]}]
    assert item_page.value_scale(flat) == {"yLog": True}
    assert item_page.value_scale([{"data": [5_000, 9_000]}, {"data": [0, 4_000]}]) == {}


def test_item_page_charts_carry_the_named_guideline(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get(reverse("dashboard:item", args=[demo["shell"].pk]))
    dashed = [d["label"] for d in response.context["charts"]["history_chart"]["datasets"] if d.get("dashed")]
    assert dashed == ["Guideline 10,000: POL, USA"]


def test_nation_coverage_chart_has_a_100_percent_line(client, coordinator, demo):
    client.force_login(coordinator)
    chart = client.get("/nations/USA/").context["charts"]["coverage_chart"]
    line = chart["datasets"][1]
    assert line["type"] == "line" and line["dashed"] and line["data"] == [100] * len(chart["labels"])
    assert chart["options"]["allLabels"] is True
