"""The bulk stock-report ingest's shortcuts (issue 15, speed) change nothing a client sees: the serializer's
shortcut for well-formed rows gives what the serializer gives, a bad row anywhere in 10,000 is a 400 with
its index and nothing written, and the body's depth guard refuses what it refused."""

import datetime as dt
import gc
import itertools

import pytest
from django.db import connection  # noqa: F401 (named by the skipif condition below)
from rest_framework.exceptions import ParseError, ValidationError

from coordination.api.guards import MAX_BODY_DEPTH, check_body
from coordination.models import ApiToken
from stockpiles.api.serializers import StockReportInSerializer, StockReportSerializer
from stockpiles.models import CurrentStock, ShortfallMark, StockReport
from tests import factories

pytestmark = pytest.mark.django_db

MISSING = object()
ITEMS = [1, 7, 0, -1, 2**63 - 1, 2**63, True, False, 1.0, "1", " 7 ", "1320012345600", "1320-01-234-5678",
         "x", "", None, [1], {"id": 1}]
QUANTITIES = [0, 5, -1, 2**63 - 1, -(2**63 - 1), 2**63, -(2**63), True, "5", "5.0", 5.0, 5.5, "ten", "", None, [5]]
DATES = ["2024-01-05", "20240105", "2024-W01-5", "2024-1-5", "2024-02-30", "2024-01-05 ", " 2024-01-05",
         "2024-01-05\n", "2024-01-05T00:00", "", None, 20240105, "05/01/2024"]
NATIONS = [MISSING, "POL", "pol", "US", " POL ", "POLX", "P", "PO1", 1, None, "", ["POL"]]


def _serializer_result(serializer, row):
    try:
        return serializer.run_validation(row)
    except ValidationError as exc:
        return exc.detail


def test_the_shortcut_gives_what_the_serializer_gives():
    """Every combination of good and bad values: the shortcut either declines (None: the serializer runs,
    with its messages) or returns exactly the serializer's validated data, never a value it would refuse."""
    serializer = StockReportInSerializer()
    fast = serializer.fast_row()
    taken = declined = 0
    for item, quantity, as_of, nation in itertools.product(ITEMS, QUANTITIES, DATES, NATIONS):
        row = {"item": item, "quantity": quantity, "as_of": as_of}
        if nation is not MISSING:
            row["nation"] = nation
        got = fast(dict(row))
        if got is None:
            declined += 1
            continue
        taken += 1
        assert got == serializer.run_validation(dict(row)), row
    assert taken and declined  # both paths exercised: the test can fail either way
    # item ids 1, 7, 2**63-1; five in-range JSON integers; three dates date.fromisoformat reads; four nations
    assert taken == 3 * 5 * 3 * 4


def test_the_shortcut_declines_rows_with_missing_or_unknown_fields():
    serializer = StockReportInSerializer()
    fast = serializer.fast_row()
    good = {"item": 1, "quantity": 5, "as_of": "2024-01-05"}
    assert fast(good) == {"item": serializer.run_validation(good)["item"], "quantity": 5,
                          "as_of": dt.date(2024, 1, 5)}
    for key in good:
        row = {k: v for k, v in good.items() if k != key}
        assert fast(row) is None and isinstance(_serializer_result(serializer, row), dict)
    assert fast({**good, "comment": "x"}) is None  # the serializer ignores it; the shortcut leaves it to it
    assert serializer.run_validation({**good, "comment": "x"}) == serializer.run_validation(good)


def _rows(items, today, count=10_000):
    per_item = count // len(items)
    return [{"item": item.pk, "quantity": 1000 + d, "as_of": str(today - dt.timedelta(days=d + 1))}
            for item in items for d in range(per_item)]


def _nothing_written():
    return (not StockReport.objects.exists() and not StockReport.history.exists()
            and not CurrentStock.objects.exists() and not ShortfallMark.objects.exists())


@pytest.mark.parametrize("bad,errors", [
    ({"quantity": "ten"}, {"quantity": ["A valid integer is required."]}),   # a type error (serializer)
    ({"quantity": -3}, {"quantity": ["The quantity on hand cannot be negative."]}),  # a domain error (service)
    ({"item": 10**9}, {"item": ["Unknown item (id 1000000000)."]}),          # an unknown item (view)
    ({"nation": "USA"}, {"nation": ["You write for POL only: leave nation out or give POL; nothing was written."]}),
])
def test_a_bad_row_in_the_middle_of_ten_thousand(pol, nations, today, bad, errors):
    items = [factories.ItemFactory(name=f"Big item {n}") for n in range(50)]
    rows = _rows(items, today)
    rows[5_000] = {**rows[5_000], **bad}
    response = pol.post("/api/v1/stock-reports/bulk/", rows, format="json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["errors"] == {"5000": errors}
    assert _nothing_written()  # on PostgreSQL the other 9,999 went in by COPY and were rolled back
    assert gc.isenabled()  # the collector paused for the request is back on


def test_a_duplicate_deep_in_the_batch_names_both_rows(pol, nations, today):
    items = [factories.ItemFactory(name=f"Big item {n}") for n in range(50)]
    rows = _rows(items, today)
    rows[9_999] = dict(rows[7_777])
    response = pol.post("/api/v1/stock-reports/bulk/", rows, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"9999": {"as_of": ["Duplicate of row 7777: one report per item and day."]}}
    assert _nothing_written()


def test_ten_thousand_rows_answer_what_the_serializer_says(pol, nations, today):
    """The answer of a full batch (the COPY path on PostgreSQL: instances built without ``Model.__init__``)
    is the serializer's output of the stored rows; the history carries the token's attribution."""
    items = [factories.ItemFactory(name=f"Big item {n}", nsn=f"13200199{n:05d}") for n in range(40)]
    rows = _rows(items, today)
    response = pol.post("/api/v1/stock-reports/bulk/", rows, format="json")
    assert response.status_code == 201
    stored = StockReport.objects.filter(nation=nations["POL"]).select_related("nation", "item").order_by("pk")
    assert sorted(response.json()["results"], key=lambda r: r["id"]) == StockReportSerializer(stored, many=True).data
    assert len(stored) == 10_000 and StockReport.history.count() == 10_000
    token = ApiToken.objects.get(name="POL logistics")
    assert set(StockReport.history.values_list("history_change_reason", "history_type")) == {
        (f"API token #{token.pk} 'POL logistics' (POL)", "+")}
    latest = today - dt.timedelta(days=1)
    current = set(CurrentStock.objects.values_list("item_id", "as_of", "quantity"))
    assert current == {(i.pk, latest, 1000) for i in items}
    assert ShortfallMark.objects.count() == 40
    assert gc.isenabled()


def test_the_depth_guard_visits_containers_only():
    deep = []
    for n in range(MAX_BODY_DEPTH - 1):  # lists and objects, with strings and numbers beside them
        deep = {"a": deep, "s": "x"} if n % 2 else [deep, 1, "s"]
    check_body(deep)  # MAX_BODY_DEPTH levels: fine
    check_body([{"item": 1, "as_of": "2024-01-01", "quantity": 2}] * 10_000)
    check_body("text")
    with pytest.raises(ParseError, match="nested"):
        check_body({"x": deep})
    with pytest.raises(ParseError, match="nested"):
        check_body([[deep, 1], "s"])


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the COPY path is PostgreSQL's")
def test_copy_path_instances_honour_init_signals(nations, today, coordinator):
    """The COPY path builds its instances without ``Model.__init__`` only while nothing listens to the
    model's init signals; with a listener they go through ``__init__`` (the listener sees every one)."""
    from django.db.models.signals import post_init

    from coordination.access import CELL
    from stockpiles import services

    items = [factories.ItemFactory(name=f"Signal item {n}") for n in range(5)]
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance)

    rows = [{"item": item, "quantity": 1, "as_of": today - dt.timedelta(days=d + 1)}
            for item in items for d in range(services.COPY_INSERT_MIN_ROWS // 5)]
    post_init.connect(listener, sender=StockReport)
    try:
        reports = services.stock_reports_bulk_create(actor=CELL, nation=nations["POL"], rows=rows, user=coordinator)
    finally:
        post_init.disconnect(listener, sender=StockReport)
    assert len(seen) == len(rows) == len(reports) and all(not r._state.adding and r.pk for r in reports)
    assert {r.pk for r in reports} == set(StockReport.objects.values_list("pk", flat=True))
    assert reports[0].nation == nations["POL"] and reports[0].item == items[0]
