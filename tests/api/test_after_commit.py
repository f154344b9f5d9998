"""Work that runs after a write commits (the shortfall recompute) never runs as the request's actor and
never fails the request: a national token's write that opens the first alert answers 201, the engine's
history rows are the task's, and a retry with the same Idempotency-Key gets the stored answer."""

import datetime as dt
import logging

import pytest
from django.utils import timezone

from coordination.history import ENGINE_REASON
from coordination.models import IdempotencyRecord
from stockpiles import engine, selectors
from stockpiles.engine import marks
from stockpiles.models import Alert, Shortfall, ShortfallMark
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)  # the request really commits: on-commit work runs


@pytest.fixture
def guideline(item):
    return factories.GuidelineFactory(item=item, nation=None, minimum_quantity=10_000,
                                      effective_from=dt.date(2020, 1, 1))


def _post_report(client, item, quantity, key=None, days_ago=0):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    as_of = timezone.localdate() - dt.timedelta(days=days_ago)
    return client.post("/api/v1/stock-reports/", {"item": item.pk, "quantity": quantity, "as_of": as_of.isoformat()},
                       format="json", **extra)


def test_a_token_write_that_opens_and_closes_an_alert_answers_201(pol, nations, item, guideline):
    assert not Alert.objects.exists()  # the first alert is opened by the token's own write
    response = _post_report(pol, item, 4_000, "pol-1", days_ago=1)
    assert response.status_code == 201, response.content
    alert = Alert.objects.get()
    assert (alert.nation_id, alert.kind, alert.closed_at) == (nations["POL"].pk, "below_guideline", None)
    row = Shortfall.objects.get()
    assert (row.on_hand, row.shortfall) == (4_000, 6_000)
    opened = Alert.history.get()
    assert opened.history_user_id is None and opened.history_change_reason == ENGINE_REASON
    assert not ShortfallMark.objects.exists()

    response = _post_report(pol, item, 12_000)  # back above the guideline: the token's write closes it
    assert response.status_code == 201, response.content
    alert.refresh_from_db()
    assert alert.closed_at is not None
    closed = Alert.history.order_by("history_id").last()
    assert (closed.history_type, closed.history_user_id, closed.history_change_reason) == ("~", None, ENGINE_REASON)
    assert Shortfall.objects.get().status == "ok"


def test_a_retry_of_a_committed_request_gets_its_stored_answer_even_if_on_commit_work_failed(
    pol, nations, item, guideline, monkeypatch, caplog, settings
):
    def broken_drain():
        raise RuntimeError("the recompute is broken")

    monkeypatch.setattr(engine.run, "shortfalls_drain", lambda **kw: broken_drain())
    with caplog.at_level(logging.ERROR):
        response = _post_report(pol, item, 4_000, "pol-2")
    assert response.status_code == 201, response.content  # the write committed: the client is told so
    assert "the recompute is broken" in caplog.text  # logged
    assert ShortfallMark.objects.filter(nation=nations["POL"], item=item).exists()  # left marked for retry
    assert not Shortfall.objects.exists()
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.DONE

    retry = _post_report(pol, item, 4_000, "pol-2")
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == response.json()

    # Shown as staleness: the figures are recent, but this pair's recompute has been waiting too long.
    Shortfall.objects.create(nation=nations["USA"], item=item, as_of=timezone.localdate(), status="no_report",
                             computed_at=timezone.now())
    later = timezone.now() + settings.SHORTFALL_PENDING_STALE_AFTER + dt.timedelta(seconds=1)
    assert selectors.shortfalls_are_stale(now=timezone.now()) is False
    assert selectors.shortfalls_are_stale(now=later) is True

    monkeypatch.undo()
    engine.drainflag.clear()
    engine.shortfalls_drain()  # the next drain picks the marks up
    assert Shortfall.objects.get(nation=nations["POL"]).shortfall == 6_000
    assert selectors.shortfalls_are_stale(now=later) is False


def test_a_cell_write_does_not_name_the_cell_user_on_the_engine_history(cell, coordinator, nations, item, guideline):
    response = cell.post("/api/v1/stock-reports/", {"item": item.pk, "quantity": 10, "nation": "POL",
                                                    "as_of": timezone.localdate().isoformat()}, format="json")
    assert response.status_code == 201, response.content
    assert Alert.history.get().history_user_id is None  # the engine, not the coordinator, opened it


def test_the_stored_answer_survives_any_failing_on_commit_hook(pol, nations, item, guideline, monkeypatch):
    """Whatever on-commit work a service registers (robust or not), a committed write keeps its answer."""
    from django.db import connection

    def boom():
        raise RuntimeError("on-commit work failed")

    # The write's on-commit request for a recompute becomes a hook that raises, registered non-robust.
    monkeypatch.setattr(marks.transaction, "on_commit", lambda func, robust=False: connection.on_commit(boom))
    response = _post_report(pol, item, 4_000, "pol-3")
    assert response.status_code == 201, response.content
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.DONE
    retry = _post_report(pol, item, 4_000, "pol-3")
    assert (retry.status_code, retry.headers.get("Idempotent-Replayed")) == (201, "true")

