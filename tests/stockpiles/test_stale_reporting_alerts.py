"""Stale-reporting alerts: one per nation while its latest stock report is older than REPORTING_STALE_AFTER_DAYS
(or it has none while an item is expected); raised by the periodic task, closed by a fresh report."""

import datetime as dt

import pytest

from coordination.access import CELL
from stockpiles import alerts, reporting, services, tasks
from stockpiles.models import Alert
from tests import factories


@pytest.fixture
def report(django_capture_on_commit_callbacks):
    def write(nation, item, quantity, day):
        with django_capture_on_commit_callbacks(execute=True):  # the drain runs after the commit, as in production
            services.stock_report_create(actor=CELL, nation=nation, item=item, quantity=quantity, as_of=day)
    return write


def stale_alerts():
    return Alert.objects.filter(kind="stale_reporting").order_by("pk")


@pytest.mark.django_db
def test_raised_once_by_the_periodic_task_and_closed_by_a_fresh_report(nations, item, today, report, settings):
    settings.REPORTING_STALE_AFTER_DAYS = 35
    pol, usa = nations["POL"], nations["USA"]
    old = today - dt.timedelta(days=40)
    report(pol, item, 500, old)
    report(usa, item, 500, today - dt.timedelta(days=35))  # exactly at the limit: not stale
    assert not stale_alerts().exists()  # a write never raises it; the periodic task does

    assert tasks.sync_stale_reporting() == 1
    (alert,) = stale_alerts()
    assert (alert.nation_id, alert.item_id, alert.pledge_id, alert.closed_at) == (pol.pk, None, None, None)
    assert alert.key == alerts.stale_key(pol.pk)
    assert alert.message == (f"POL: the latest stock report is of {old.isoformat()}, 40 days ago; "
                             "report at least every 35 days.")
    # The same rule as the reporting view.
    rows = {r.nation_code: r.stale for r in reporting.reporting_by_nation(actor=CELL)}
    assert rows["POL"] is True and rows["USA"] is False

    assert tasks.sync_stale_reporting() == 0  # de-duplicated: one open alert per nation
    report(pol, item, 600, today - dt.timedelta(days=39))  # newer, still stale: stays open
    assert tasks.sync_stale_reporting() == 0
    assert stale_alerts().count() == 1 and stale_alerts().get().closed_at is None

    report(pol, item, 700, today)  # a fresh report closes it at once (the engine's drain after the write)
    alert.refresh_from_db()
    assert alert.closed_at is not None
    assert tasks.sync_stale_reporting() == 0
    assert not stale_alerts().filter(closed_at__isnull=True).exists()


@pytest.mark.django_db
def test_no_report_while_items_are_expected_is_stale(nations, item, today, report):
    factories.GuidelineFactory(item=item, minimum_quantity=100)  # alliance-wide: every ally is expected to report
    report(nations["USA"], item, 1000, today)
    tasks.recompute_all_shortfalls()  # POL's no_report row
    assert tasks.sync_stale_reporting() == 1
    (alert,) = stale_alerts()
    assert alert.nation.code == "POL"  # USA reported today; UKR (a recipient) is expected nothing
    assert alert.message == "POL: no stock report yet, while 1 items are expected; report at least every 35 days."
    report(nations["POL"], item, 1000, today)
    alert.refresh_from_db()
    assert alert.closed_at is not None


@pytest.mark.django_db
def test_days_passing_raise_it_and_a_closed_one_can_open_again(nations, item, today, report):
    pol = nations["POL"]
    report(pol, item, 500, today - dt.timedelta(days=10))
    assert tasks.sync_stale_reporting() == 0
    # 30 days later (as the beat schedule would run it).
    assert alerts.alerts_sync_stale_reporting(today=today + dt.timedelta(days=30)) == (1, 0)
    report(pol, item, 500, today)
    assert alerts.alerts_sync_stale_reporting(today=today + dt.timedelta(days=36)) == (1, 0)
    assert stale_alerts().count() == 2 and stale_alerts().filter(closed_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_sync_query_count_does_not_grow(nations, item, today, django_assert_max_num_queries):
    for k in range(20):
        nation = factories.NationFactory(code=f"N{chr(65 + k)}X", name=f"Nation {k}")
        services.stock_report_create(actor=CELL, nation=nation, item=item, quantity=1, as_of=today - dt.timedelta(
            days=100))
    with django_assert_max_num_queries(3):  # the open keys, the expected counts, the latest reports
        assert alerts.alerts_sync_stale_reporting(today=today - dt.timedelta(days=200)) == (0, 0)
    with django_assert_max_num_queries(8):  # + the nations named, the insert, its rows, their history
        assert alerts.alerts_sync_stale_reporting() == (20, 0)
    with django_assert_max_num_queries(3):
        assert alerts.alerts_sync_stale_reporting() == (0, 0)


def test_is_stale_rule(settings):
    settings.REPORTING_STALE_AFTER_DAYS = 35
    today = dt.date(2024, 6, 30)
    assert reporting.is_stale(last_report=dt.date(2024, 5, 25), expected=3, today=today)  # 36 days
    assert not reporting.is_stale(last_report=dt.date(2024, 5, 26), expected=3, today=today)  # 35 days
    assert reporting.is_stale(last_report=None, expected=1, today=today)
    assert not reporting.is_stale(last_report=None, expected=0, today=today)


def test_celery_beat_runs_the_check(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["stale-reporting-alerts"]
    assert entry["task"] == tasks.sync_stale_reporting.name == "stockpiles.tasks.sync_stale_reporting"
    assert entry["task"] in app.tasks and entry["schedule"] == dt.timedelta(minutes=60)
    task = tasks.sync_stale_reporting
    assert task.acks_late is True and task.reject_on_worker_lost is True and task.serializer == "json"
