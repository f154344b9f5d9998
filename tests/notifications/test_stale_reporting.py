"""A stale-reporting alert reaches the nation's officer once (email) and its systems (webhook), and nobody else."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from notifications.models import EmailDelivery
from stockpiles import tasks as stock_tasks
from stockpiles.models import Alert
from tests.notifications.scenario import CELL_USER, POL_OFFICER, USA_OFFICER, guideline, people, report, token_client
from tests.notifications.test_webhooks import register, verify

pytestmark = pytest.mark.django_db(transaction=True)


def test_stale_reporting_is_notified_once_and_closes_with_a_fresh_report(nations, item, mail_to_smtp, receiver):
    smtp = mail_to_smtp
    people(nations)
    guideline(item)
    today = timezone.localdate()
    pol, usa = token_client(nations["POL"]), token_client(nations["USA"])
    hook = register(pol, receiver.url, events=["alert.opened", "alert.closed"])
    report(pol, item, 12_000, today - dt.timedelta(days=40))  # above the guideline, but 40 days old
    report(usa, item, 12_000, today)
    assert smtp.messages == [] and not Alert.objects.exists()

    stock_tasks.sync_stale_reporting.delay()  # Celery beat's periodic check
    alert = Alert.objects.get()
    assert (alert.kind, alert.nation.code, alert.item_id) == ("stale_reporting", "POL", None)
    (message,) = smtp.to(POL_OFFICER)
    assert "POL" in message["Subject"] and "Stale reporting" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "40 days ago" in text and "http://127.0.0.1:8000/reporting/" in text
    assert smtp.to(USA_OFFICER) == [] and smtp.to(CELL_USER) == []  # another nation's; the cell's digest
    (received,) = receiver.wait_for(1, timeout=5)
    body = verify(hook["secret"], received)
    assert (body["event"], body["nation"], body["data"]["alert"]["kind"]) == ("alert.opened", "POL", "stale_reporting")

    stock_tasks.sync_stale_reporting.delay()  # still stale: the same alert, nothing sent again
    assert Alert.objects.count() == 1 and len(smtp.to(POL_OFFICER)) == 1
    assert EmailDelivery.objects.filter(user__email=POL_OFFICER).count() == 1

    report(pol, item, 12_000, today)  # a fresh report closes it: the webhook hears, no email (nothing to act on)
    alert.refresh_from_db()
    assert alert.closed_at is not None
    closed = receiver.wait_for(2, timeout=5)[1]
    assert json.loads(closed.body)["event"] == "alert.closed"
    assert len(smtp.to(POL_OFFICER)) == 1


def test_the_command_runs_the_check_on_the_embedded_default(nations, item, mail_to_smtp):
    from io import StringIO

    from django.core.management import call_command

    people(nations)
    report(token_client(nations["POL"]), item, 12_000, timezone.localdate() - dt.timedelta(days=36))
    out = StringIO()
    call_command("check_stale_reporting", stdout=out)
    assert out.getvalue().strip() == "Stale reporting (older than 35 days): 1 alert(s) raised, 0 closed."
    (message,) = mail_to_smtp.to(POL_OFFICER)  # sent in-process after the command's commit
    assert "Stale reporting" in message["Subject"]
    call_command("check_stale_reporting", stdout=out)
    assert "0 alert(s) raised, 0 closed." in out.getvalue() and len(mail_to_smtp.messages) == 1
