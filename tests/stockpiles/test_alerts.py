"""Alerts: raised once while a condition holds, closed when it clears, on both engine paths."""

import dataclasses
import datetime as dt

import pytest

from coordination.access import CELL, Scope
from pledges.services import delivery_create, pledge_update
from stockpiles import alerts, engine, selectors, services, shortfalls, tasks
from stockpiles.models import Alert
from tests import factories


@pytest.mark.django_db
def test_below_guideline_alert_lifecycle(nations, item, django_capture_on_commit_callbacks):
    pol = nations["POL"]
    factories.GuidelineFactory(item=item, minimum_quantity=10_000)

    def report(quantity, day):
        with django_capture_on_commit_callbacks(execute=True):
            services.stock_report_create(actor=CELL, nation=pol, item=item, quantity=quantity, as_of=day)

    report(4000, dt.date(2024, 1, 1))
    alert = Alert.objects.get()
    assert (alert.kind, alert.nation_id, alert.item_id, alert.closed_at) == ("below_guideline", pol.pk, item.pk, None)
    assert alert.key == alerts.below_key(pol.pk, item.pk)
    assert alert.message == ("POL 155 mm HE projectile: 4,000 rounds available against a guideline of 10,000, "
                             "short by 6,000.")
    report(5000, dt.date(2024, 2, 1))  # still below: no second alert
    tasks.recompute_all_shortfalls()
    assert Alert.objects.count() == 1
    report(12_000, dt.date(2024, 3, 1))  # cleared: closed automatically
    alert.refresh_from_db()
    assert alert.closed_at is not None
    report(100, dt.date(2024, 4, 1))  # below again: a new alert
    assert Alert.objects.count() == 2
    assert Alert.objects.filter(closed_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_overdue_pledge_alert_lifecycle(nations, item, today, django_capture_on_commit_callbacks):
    usa = nations["USA"]
    pledge = factories.PledgeFactory(donor=usa, item=item, quantity=100, announced_on=today - dt.timedelta(days=60),
                                     due_on=today - dt.timedelta(days=1))
    late_other = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=5,
                                         announced_on=today - dt.timedelta(days=60),
                                         due_on=today - dt.timedelta(days=1))
    not_due = factories.PledgeFactory(donor=usa, item=item, quantity=100, announced_on=today, due_on=today)
    # Nothing marked these pledges (factories write directly): the periodic full recompute finds them.
    tasks.recompute_all_shortfalls()
    open_alerts = {a.pledge_id: a for a in Alert.objects.filter(kind="pledge_overdue")}
    assert set(open_alerts) == {pledge.pk, late_other.pk}
    assert open_alerts[pledge.pk].nation_id == usa.pk
    assert f"pledge #{pledge.pk} of 100 rounds" in open_alerts[pledge.pk].message
    assert not_due.pk not in open_alerts
    tasks.recompute_all_shortfalls()
    assert Alert.objects.filter(kind="pledge_overdue").count() == 2
    # The donor delivers everything: the delivery marks (USA, item) and the drain closes the alert.
    with django_capture_on_commit_callbacks(execute=True):
        delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=100, status="delivered", delivered_on=today)
    assert Alert.objects.get(pledge=pledge).closed_at is not None
    assert Alert.objects.get(pledge=late_other).closed_at is None
    with django_capture_on_commit_callbacks(execute=True):
        pledge_update(actor=CELL, pledge_id=late_other.pk, status="cancelled")
    assert Alert.objects.get(pledge=late_other).closed_at is not None


@pytest.mark.django_db
def test_alert_list_is_restricted(nations, item, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    factories.GuidelineFactory(item=item, minimum_quantity=10)
    with django_capture_on_commit_callbacks(execute=True):
        for code in ("USA", "POL"):
            services.stock_report_create(actor=CELL, nation=nations[code], item=item, quantity=1,
                                         as_of=dt.date(2024, 1, 1))
    with django_assert_max_num_queries(1):
        assert {a.nation.code for a in selectors.alert_list(actor=CELL)} == {"USA", "POL"}
    pol = Scope(nation_id=nations["POL"].pk, nation_code="POL", nation_role="ally")
    assert [a.nation.code for a in selectors.alert_list(actor=pol)] == ["POL"]
    assert list(selectors.alert_list(actor=pol, kind="pledge_overdue")) == []


@pytest.mark.django_db
def test_alert_sync_query_count_does_not_grow(nations, item, django_assert_max_num_queries):
    factories.GuidelineFactory(item=item, minimum_quantity=10)
    for _ in range(25):
        services.stock_report_create(actor=CELL, nation=factories.NationFactory(), item=item, quantity=1,
                                     as_of=dt.date(2024, 1, 1))
    results = engine.shortfalls_compute(pairs=None)
    with django_assert_max_num_queries(6):  # open alerts, nations, items, insert, the new rows, their history
        assert alerts.alerts_sync_below_guideline(results=results) == (25, 0)
    with django_assert_max_num_queries(2):
        assert alerts.alerts_sync_below_guideline(results=results) == (0, 0)
    assert Alert.history.filter(history_type="+").count() == 25
    # All 25 clear at once: open alerts, their ids, the update, the closed rows, their history.
    cleared = {pair: dataclasses.replace(r, status=shortfalls.OK) for pair, r in results.items()}
    with django_assert_max_num_queries(5):
        assert alerts.alerts_sync_below_guideline(results=cleared) == (0, 25)
    assert Alert.history.filter(history_type="~", closed_at__isnull=False).count() == 25
