"""Idempotency-Key on POST: replay, 422 on a different body, 409 while in progress, one row under concurrency."""

import datetime as dt
import threading
from unittest import mock

import pytest
from django.db import connection

from coordination.models import IdempotencyRecord
from pledges.models import Delivery
from stockpiles import services as stock_services
from stockpiles.models import CurrentStock, StockReport
from tests import factories
from tests.api.conftest import client_with
from tests.conftest import requires_postgres

URL = "/api/v1/stock-reports/"


def body(item, quantity=10):
    return {"item": item.pk, "quantity": quantity, "as_of": "2024-05-01"}


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response(pol, item, nations):
    first = pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="report-2024-05-01")
    again = pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="report-2024-05-01")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert StockReport.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.status_code, record.method, record.path) == ("done", 201, "POST", URL)


@pytest.mark.django_db
def test_same_key_different_body_is_422(pol, item, nations):
    assert pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    response = pol.post(URL, body(item, quantity=11), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422
    assert StockReport.objects.get().quantity == 10


@pytest.mark.django_db
def test_same_key_on_another_endpoint_is_422(pol, item, nations):
    assert pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    response = pol.post(URL + "bulk/", [body(item)], format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422


@pytest.mark.django_db
def test_keys_belong_to_one_client(pol, usa, item, nations):
    assert pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    response = usa.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 201
    assert response.json()["nation"] == "USA"
    assert StockReport.objects.count() == 2


@pytest.mark.django_db
def test_a_request_still_in_progress_is_409(pol, item, nations):
    """While the first request is inside the service, a retry with the same key gets 409."""
    real = stock_services.stock_reports_bulk_create
    seen = []

    def retry_during_the_write(**kwargs):
        seen.append(pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="slow").status_code)
        return real(**kwargs)

    with mock.patch("stockpiles.services.stock_reports_bulk_create", side_effect=retry_during_the_write):
        first = pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="slow")
    assert first.status_code == 201
    assert seen == [409]
    assert StockReport.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_request_frees_its_key(pol, item, nations):
    bad = pol.post(URL, {**body(item), "quantity": -5}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    fixed = pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert fixed.status_code == 201


@pytest.mark.django_db
def test_an_abandoned_claim_is_taken_over(pol, pol_token, item, nations):
    """A claim left in progress by a request that died. PostgreSQL knows at once (no live connection holds
    the key's lock); SQLite after ``ABANDONED_AFTER``."""
    from coordination.api.idempotency import ABANDONED_AFTER

    first = pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="k")
    record = IdempotencyRecord.objects.get()
    CurrentStock.objects.all().delete()
    StockReport.objects.all().delete()
    # Pretend the first request died mid-way (its write rolled back, its claim left behind).
    IdempotencyRecord.objects.filter(pk=record.pk).update(state="in_progress", status_code=None, response_body=None)
    if connection.vendor != "postgresql":
        assert pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 409
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=record.created_at - ABANDONED_AFTER * 2)
    response = pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 201
    assert response.json()["id"] != first.json()["id"]
    assert StockReport.objects.count() == 1
    assert IdempotencyRecord.objects.get().state == "done"


@requires_postgres
@pytest.mark.django_db
def test_on_postgres_a_live_owner_keeps_its_claim_however_old(pol, pol_token, item, nations):
    """The owner's session lock, held from another connection (as another gunicorn worker would): the claim
    stays its own, even past ``ABANDONED_AFTER``; once that connection ends, a retry takes the claim over."""
    import psycopg

    from coordination.api.idempotency import ABANDONED_AFTER, LOCK_NAMESPACE

    client = f"token:{pol_token[0].pk}"
    assert pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    CurrentStock.objects.all().delete()
    StockReport.objects.all().delete()
    record = IdempotencyRecord.objects.get(client=client, key="k")
    IdempotencyRecord.objects.filter(pk=record.pk).update(  # in progress, and long ago
        state="in_progress", status_code=None, response_body=None, created_at=record.created_at - ABANDONED_AFTER * 2)
    settings = connection.settings_dict
    owner = psycopg.connect(host=settings["HOST"] or None, port=settings["PORT"] or None, user=settings["USER"],
                            password=settings["PASSWORD"] or None, dbname=settings["NAME"], autocommit=True)
    try:
        name = f"{client}|k"
        owner.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, name])
        response = pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="k")
        assert response.status_code == 409 and "in progress" in response.json()["detail"]
    finally:
        owner.close()  # the owner's process is gone: its lock with it
    response = pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 201
    assert StockReport.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", " ", "x" * 256, "a\x00b", "tab\there"])
def test_bad_keys_are_400(pol, item, nations, key):
    response = pol.post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert not StockReport.objects.exists()


@pytest.mark.django_db
def test_bulk_deliveries_replay(pol, nations, item):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=100)
    rows = [{"pledge": pledge.pk, "quantity": 30}, {"pledge": pledge.pk, "quantity": 30}]
    first = pol.post("/api/v1/deliveries/bulk/", rows, format="json", HTTP_IDEMPOTENCY_KEY="batch-7")
    again = pol.post("/api/v1/deliveries/bulk/", rows, format="json", HTTP_IDEMPOTENCY_KEY="batch-7")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Delivery.objects.count() == 2
    pledge.refresh_from_db()
    assert pledge.allocated_quantity == 60


def _in_thread(fn, results, index):
    try:
        results[index] = fn()
    finally:
        connection.close()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_write_one_row(pol_token, item, nations):
    """Eight clients retry the same POST at the same moment: one row, never two.

    The first to claim the key is held inside the service until the others have answered, so the
    others must see it in progress (409) or, once done, replay it (201 with the same id).
    """
    key = pol_token[1]
    real = stock_services.stock_reports_bulk_create
    inside, release = threading.Event(), threading.Event()

    def held(**kwargs):
        inside.set()
        assert release.wait(20)
        return real(**kwargs)

    start = threading.Barrier(8)

    def post():
        start.wait(10)
        return client_with(key).post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="same")

    results: list = [None] * 8
    with mock.patch("stockpiles.services.stock_reports_bulk_create", side_effect=held):
        threads = [threading.Thread(target=_in_thread, args=(post, results, n)) for n in range(8)]
        for t in threads:
            t.start()
        assert inside.wait(20)
        # Everyone but the owner answers while the owner is held.
        for _ in range(200):
            if sum(r is not None for r in results) == 7:
                break
            threading.Event().wait(0.05)
        codes_while_held = sorted(r.status_code for r in results if r is not None)
        release.set()
        for t in threads:
            t.join(30)
    assert codes_while_held == [409] * 7
    assert sorted(r.status_code for r in results) == [201] + [409] * 7
    assert StockReport.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    replay = client_with(key).post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert replay.status_code == 201
    assert replay.json()["id"] == StockReport.objects.get().pk


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_without_holding_still_write_once(pol_token, item, nations):
    key = pol_token[1]
    start = threading.Barrier(6)

    def post():
        start.wait(10)
        return client_with(key).post(URL, body(item), format="json", HTTP_IDEMPOTENCY_KEY="race")

    results: list = [None] * 6
    threads = [threading.Thread(target=_in_thread, args=(post, results, n)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    codes = [r.status_code for r in results]
    assert set(codes) <= {201, 409}
    assert codes.count(201) >= 1
    ids = {r.json()["id"] for r in results if r.status_code == 201}
    assert len(ids) == 1
    assert StockReport.objects.count() == 1
    assert dt.date(2024, 5, 1) == StockReport.objects.get().as_of


@pytest.mark.django_db
def test_an_order_with_its_schedule_is_created_once(pol, item, nations):
    from stockpiles.models import Order, OrderScheduleLine

    order = {"item": item.pk, "quantity": 100, "ordered_on": "2024-05-01",
             "schedule": [{"due_on": "2024-06-01", "quantity": 60}, {"due_on": "2024-07-01", "quantity": 40}]}
    first = pol.post("/api/v1/orders/", order, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    again = pol.post("/api/v1/orders/", order, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == again.status_code == 201, first.content
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert (Order.objects.count(), OrderScheduleLine.objects.count()) == (1, 2)
    changed = pol.post("/api/v1/orders/", {**order, "quantity": 101}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert changed.status_code == 422
    assert Order.objects.get().quantity == 100


@pytest.mark.django_db
def test_an_agreement_is_created_once(cell, item, nations):
    from stockpiles.models import FrameworkAgreement

    body = {"name": "Joint buy", "lead_nation": "POL", "item": item.pk, "ceiling_quantity": 1000,
            "valid_from": "2024-01-01"}
    first = cell.post("/api/v1/agreements/", body, format="json", HTTP_IDEMPOTENCY_KEY="fa-1")
    again = cell.post("/api/v1/agreements/", body, format="json", HTTP_IDEMPOTENCY_KEY="fa-1")
    assert first.status_code == again.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true"
    assert FrameworkAgreement.objects.count() == 1
