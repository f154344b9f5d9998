"""The demo shows the flow: its logins have example.org addresses; loading it sends nothing; a report does."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from loaders.demo import demo_load
from stockpiles.models import Alert, Shortfall
from tests.notifications.scenario import report, token_client

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_logins_get_addresses_and_a_report_reaches_the_officer():
    demo_load(logins=True)
    assert get_user_model().objects.get(username="officer-pol").email == "officer-pol@example.org"
    assert Alert.objects.filter(closed_at__isnull=True).exists()
    assert mail.outbox == []  # the scenario's alerts are not news
    row = (Shortfall.objects.filter(nation__code__in=["USA", "POL", "DEU", "UKR"], guideline__gt=0, status="ok")
           .select_related("nation", "item").order_by("pk").first())
    assert row is not None, "the demo has an officer's nation with an item at or above its guideline"
    report(token_client(row.nation), row.item, 0, row.as_of)
    officer = f"officer-{row.nation.code.lower()}@example.org"
    sent = [m for m in mail.outbox if m.to == [officer]]
    assert len(sent) == 1 and row.item.name in sent[0].subject
    assert [m.to for m in mail.outbox] == [[officer]]  # nobody else immediately (the cell: digest)
