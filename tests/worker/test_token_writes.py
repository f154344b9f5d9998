"""A national token's write with a real worker: the write answers 201 at once, the worker opens the alert
(as the task, not as the token), and a retry with the same Idempotency-Key gets the stored answer."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from coordination.api.tokens import token_issue
from coordination.history import ENGINE_REASON
from stockpiles.models import Alert, Shortfall, ShortfallMark
from tests import factories
from tests.worker.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_token_write_opens_the_first_alert_through_the_worker(worker_factory, nations, item):
    worker = worker_factory()
    factories.GuidelineFactory(item=item, nation=None, minimum_quantity=10_000, effective_from=dt.date(2020, 1, 1))
    _, key = token_issue(nation=nations["POL"], name="POL logistics")
    pol = APIClient()
    pol.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = {"item": item.pk, "quantity": 4_000, "as_of": timezone.localdate().isoformat()}

    response = pol.post("/api/v1/stock-reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="pol-w-1")
    assert response.status_code == 201, response.content
    alert = wait_for(lambda: Alert.objects.filter(nation=nations["POL"], closed_at__isnull=True).first(),
                     timeout=15, what="the worker to open the alert", worker=worker)
    assert alert.kind == "below_guideline"
    opened = Alert.history.get()
    assert (opened.history_user_id, opened.history_change_reason) == (None, ENGINE_REASON)
    assert Shortfall.objects.get().shortfall == 6_000
    wait_for(lambda: not ShortfallMark.objects.exists(), timeout=10, what="no marks left", worker=worker)

    retry = pol.post("/api/v1/stock-reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="pol-w-1")
    assert (retry.status_code, retry.headers.get("Idempotent-Replayed")) == (201, "true")
    assert retry.json() == response.json()
