"""One bad row never stops the engine: a pair it cannot compute (rows put straight into the database,
past every validation) keeps its previous row marked failed, gets an engine-failure alert the cell sees,
and every other pair is computed, on the incremental path, the full recompute, the command and the
as-of pages alike. When the row is corrected, the pair computes again and the alert closes."""

import datetime as dt

import pytest
from django.core.management import call_command

from coordination.access import CELL
from coordination.history import ENGINE_REASON
from stockpiles import alerts, engine, selectors, services
from stockpiles.models import Alert, Order, OrderScheduleLine, Shortfall, ShortfallMark
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(nations, item, today):
    other = factories.ItemFactory(name="Other item")
    for it in (item, other):
        factories.GuidelineFactory(item=it, nation=None, minimum_quantity=1_000, effective_from=dt.date(2020, 1, 1))
        for code in ("POL", "USA"):
            services.stock_report_create(actor=CELL, nation=nations[code], item=it, quantity=400,
                                         as_of=today - dt.timedelta(days=10))
    engine.shortfalls_recompute(pairs=None)
    return {"other": other}


def _bad_line(nation, item, due_on):
    """A schedule line the validation would refuse, written straight into the table."""
    order = Order.objects.create(nation=nation, item=item, quantity=10, ordered_on=dt.date(2024, 1, 1))
    return OrderScheduleLine.objects.create(order=order, due_on=due_on, quantity=10)


@pytest.mark.parametrize("path", ["incremental", "full", "command"])
def test_a_pair_that_cannot_be_computed_is_isolated(world, nations, item, today, path):
    pol, usa = nations["POL"], nations["USA"]
    before = Shortfall.objects.get(nation=pol, item=item)
    line = _bad_line(pol, item, dt.date(9999, 12, 31))
    # The other pairs change meanwhile: they must still be computed.
    services.stock_report_create(actor=CELL, nation=usa, item=item, quantity=900, as_of=today)
    services.stock_report_create(actor=CELL, nation=pol, item=world["other"], quantity=950, as_of=today)
    engine.shortfall_mark_pairs(pairs=[(pol.pk, item.pk)])

    if path == "incremental":
        engine.shortfalls_drain()
    elif path == "full":
        engine.shortfalls_recompute(pairs=None)
    else:
        call_command("recompute_shortfalls", verbosity=0)  # exits normally

    failed = Shortfall.objects.get(nation=pol, item=item)
    assert failed.failed and "year 10000 is out of range" in failed.failure
    assert (failed.on_hand, failed.shortfall, failed.computed_at) == (before.on_hand, before.shortfall,
                                                                      before.computed_at)  # kept as it was
    assert Shortfall.objects.get(nation=usa, item=item).on_hand == 900  # every other pair computed
    assert Shortfall.objects.get(nation=pol, item=world["other"]).on_hand == 950
    assert Shortfall.objects.filter(failed=True).count() == 1
    if path != "command":  # (the command recomputes pairs it lists; it leaves marks to the drain)
        assert not ShortfallMark.objects.exists()  # no endless drain on a pair that fails every time
    alert = Alert.objects.get(kind=Alert.Kind.ENGINE_FAILURE, closed_at__isnull=True)
    assert (alert.nation_id, alert.item_id, alert.key) == (pol.pk, item.pk, alerts.engine_key(pol.pk, item.pk))
    assert "POL" in alert.message and "year 10000" in alert.message
    assert alert in Alert.objects.restrict(CELL, "view")  # the cell sees it
    assert alert.history.get().history_change_reason == ENGINE_REASON
    # The pair's below-guideline alert is left as it was (its figures are the previous ones).
    assert Alert.objects.filter(key=alerts.below_key(pol.pk, item.pk), closed_at__isnull=True).exists()

    engine.shortfalls_recompute(pairs=None)  # still failing: no second alert
    assert Alert.objects.filter(kind=Alert.Kind.ENGINE_FAILURE).count() == 1

    OrderScheduleLine.objects.filter(pk=line.pk).update(due_on=today + dt.timedelta(days=40))
    engine.shortfall_mark_pairs(pairs=[(pol.pk, item.pk)])
    engine.shortfalls_drain()
    fixed = Shortfall.objects.get(nation=pol, item=item)
    assert (fixed.failed, fixed.failure, fixed.contracted_inflow) == (False, "", 10)
    alert.refresh_from_db()
    assert alert.closed_at is not None


def test_as_of_snapshots_and_past_dates_leave_the_bad_pair_out(world, nations, item, today, client, coordinator):
    _bad_line(nations["POL"], item, dt.date(9999, 12, 31))
    past = today - dt.timedelta(days=1)
    engine.shortfalls_recompute(pairs=None)  # the pair fails today: its stored history stays as it was
    rows = selectors.shortfalls_as_of(actor=CELL, as_of=past)  # a read of the history
    assert {(r.nation.code, r.item.pk, r.result.on_hand) for r in rows} == {
        ("USA", item.pk, 400), ("USA", world["other"].pk, 400), ("POL", world["other"].pk, 400),
        ("POL", item.pk, 400)}
    client.force_login(coordinator)
    assert client.get("/", {"as_of": past.isoformat()}).status_code == 200
    # computing a past date from the inputs (the command) leaves the bad pair out
    past_computed = engine.shortfalls_compute(pairs=None, as_of=past)
    assert (nations["POL"].pk, item.pk) not in past_computed and len(past_computed) == 3
    call_command("recompute_shortfalls", "--as-of", past.isoformat(), verbosity=0)


def test_a_failing_pair_without_a_previous_row_gets_only_the_alert(nations, item):
    _bad_line(nations["USA"], item, dt.date(9999, 12, 31))
    engine.shortfalls_recompute(pairs=None)
    assert Alert.objects.filter(kind=Alert.Kind.ENGINE_FAILURE, nation=nations["USA"]).exists()
    assert not Shortfall.objects.filter(nation=nations["USA"]).exists()


def test_item_and_nation_pages_answer_with_a_bad_row(world, nations, item, client, coordinator):
    _bad_line(nations["POL"], item, dt.date(9999, 12, 31))
    engine.shortfalls_recompute(pairs=None)
    client.force_login(coordinator)
    assert client.get(f"/items/{item.pk}/").status_code == 200
    assert client.get("/nations/POL/").status_code == 200
    assert client.get("/procurement/").status_code == 200
    assert client.get("/").status_code == 200


def test_the_api_shows_the_failed_row_and_the_alert(world, nations, item):
    from rest_framework.test import APIClient

    from coordination.api.tokens import token_issue

    _bad_line(nations["POL"], item, dt.date(9999, 12, 31))
    engine.shortfalls_recompute(pairs=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(nation=nations['POL'], name='POL')[1]}")
    rows = {r["item"]: r for r in client.get("/api/v1/shortfalls/").json()["results"]}
    assert rows[item.pk]["failed"] is True and "year 10000" in rows[item.pk]["failure"]
    assert rows[world["other"].pk]["failed"] is False
    kinds = [a["kind"] for a in client.get("/api/v1/alerts/").json()["results"]]
    assert "engine_failure" in kinds
