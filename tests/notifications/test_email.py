"""Email about alerts, through a real SMTP server (aiosmtpd on localhost), on the embedded default (eager tasks).

The tests commit (``transaction=True``): the notification work runs after the commit, as in production.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from notifications import emails, tasks
from notifications.models import EmailDelivery
from notifications.preferences import preference_save
from stockpiles.models import Alert
from tests.notifications.scenario import CELL_USER, POL_OFFICER, USA_OFFICER, guideline, people, report, token_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scene(nations, item):
    guideline(item)
    return {"people": people(nations), "pol": token_client(nations["POL"]), "usa": token_client(nations["USA"])}


def test_officer_gets_one_email_when_their_nations_report_opens_an_alert(scene, mail_to_smtp, item):
    smtp = mail_to_smtp
    report(scene["pol"], item, 4000)
    alert = Alert.objects.get()
    assert (alert.nation.code, alert.kind) == ("POL", "below_guideline")
    assert len(smtp.to(POL_OFFICER)) == 1
    assert smtp.to(USA_OFFICER) == []  # another nation's alert: nothing
    assert smtp.to(CELL_USER) == []  # the cell's default is the daily digest
    message = smtp.to(POL_OFFICER)[0]
    assert "POL" in message["Subject"] and "Below guideline" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "4,000 rounds available against a guideline of 10,000" in text
    assert "http://127.0.0.1:8000/nations/POL/" in text and 'href="http://127.0.0.1:8000/nations/POL/"' in html
    assert str(message["List-Unsubscribe"]).strip().startswith("<http://127.0.0.1:8000/notifications/unsubscribe/")

    # Still below: the alert stays open, no second email. The same alert announced again: no second email.
    report(scene["pol"], item, 5000, dt.date(2024, 1, 2))
    tasks.alerts_notify.delay([alert.pk], [])
    tasks.send_alert_email.delay(EmailDelivery.objects.get(user__email=POL_OFFICER).pk)
    assert len(smtp.to(POL_OFFICER)) == 1
    assert EmailDelivery.objects.filter(alert=alert).count() == 2  # the officer's (sent), the cell's (digest)
    assert EmailDelivery.objects.get(user__email=POL_OFFICER).status == "sent"


def test_another_nations_report_sends_nothing_to_this_officer(scene, mail_to_smtp, item):
    report(scene["usa"], item, 100)
    assert len(mail_to_smtp.to(USA_OFFICER)) == 1
    assert mail_to_smtp.to(POL_OFFICER) == []


def test_back_above_guideline_is_its_own_email(scene, mail_to_smtp, item):
    report(scene["pol"], item, 4000)
    report(scene["pol"], item, 12_000, dt.date(2024, 1, 2))
    subjects = [m["Subject"] for m in mail_to_smtp.to(POL_OFFICER)]
    assert len(subjects) == 2 and "Back above guideline" in subjects[1]


def test_a_broken_mail_server_never_fails_the_write_and_a_retry_sends_once(scene, mail_to_smtp, item, settings):
    smtp = mail_to_smtp
    smtp.refuse = 2  # the first two attempts get "451 try again"
    report(scene["pol"], item, 4000)  # 201 all the same
    assert len(smtp.to(POL_OFFICER)) == 1
    row = EmailDelivery.objects.get(user__email=POL_OFFICER)
    assert (row.status, row.attempts) == ("sent", 3)


def test_mail_server_down_the_write_still_succeeds_and_the_row_says_failed(scene, mail_to_smtp, item, settings):
    from tests.notifications.servers import free_port

    settings.EMAIL_PORT = free_port()  # nobody listens there
    report(scene["pol"], item, 4000)
    row = EmailDelivery.objects.get(user__email=POL_OFFICER)
    assert row.status == "failed" and row.attempts == settings.NOTIFY_EMAIL_MAX_RETRIES + 1
    assert "Connection refused" in row.last_error or "ConnectionRefused" in row.last_error
    assert Alert.objects.filter(nation__code="POL").exists()


def test_french_email_for_a_french_speaking_officer(scene, mail_to_smtp, item, nations):
    membership = scene["people"]["POL"].membership
    membership.language = "fr"
    membership.save()
    report(scene["pol"], item, 4000)
    message = mail_to_smtp.to(POL_OFFICER)[0]
    assert "Sous la norme" in message["Subject"], message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour" in text
    # The details too are in French, numbers grouped the French way (a no-break space), none in English.
    assert "4\u00a0000 coups disponibles pour une norme de 10\u00a0000 ; manque 6\u00a0000." in text, text
    assert "disponibles pour une norme" in html
    assert "available against" not in text and "available against" not in html
    assert Alert.objects.get().message.startswith("POL ")  # the stored record stays the English one


def test_french_email_names_nation_and_item_in_french(scene, mail_to_smtp, item, nations):
    from coordination.models import Item, Nation

    Nation.objects.filter(code="POL").update(name_fr="Pologne")
    Item.objects.filter(pk=item.pk).update(name_fr="Obus explosif de 155 mm")
    membership = scene["people"]["POL"].membership
    membership.language = "fr"
    membership.save()
    report(scene["pol"], item, 4000)
    message = mail_to_smtp.to(POL_OFFICER)[0]
    assert "Obus explosif de 155 mm" in message["Subject"], message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Pologne (POL)" in body and "Obus explosif de 155 mm : 4\u00a0000 coups" in body, body
        assert "Poland" not in body and "155 mm HE projectile" not in body
    assert "155 mm HE projectile" in Alert.objects.get().message  # the stored record stays the English one


def test_unsubscribe_link_works_without_login(scene, mail_to_smtp, item):
    report(scene["pol"], item, 4000)
    text = mail_to_smtp.to(POL_OFFICER)[0].get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:8000(/notifications/unsubscribe/\S+/)", text).group(1)
    anonymous = Client()
    page = anonymous.get(link)
    assert page.status_code == 200 and b"pol-officer" in page.content
    assert EmailDelivery.objects.count() == 2  # GET changes nothing (link scanners)
    assert anonymous.post(link).status_code == 200
    report(scene["pol"], item, 12_000, dt.date(2024, 1, 2))  # back above: would be an email
    assert len(mail_to_smtp.to(POL_OFFICER)) == 1
    assert Client().get(link[:-5] + "xxxx/").status_code == 400  # an altered token


def test_cell_digest_is_one_email_with_every_event(scene, mail_to_smtp, item, nations):
    report(scene["pol"], item, 4000)
    report(scene["usa"], item, 100)
    assert mail_to_smtp.to(CELL_USER) == []
    assert tasks.send_daily_digests.delay().get() == 1
    assert tasks.send_daily_digests.delay().get() == 0  # nothing twice
    (digest,) = mail_to_smtp.to(CELL_USER)
    text = digest.get_body(("plain",)).get_content()
    assert "United States (USA)" in text and "Poland (POL)" in text
    assert "2 alert events" in digest["Subject"]


def test_preferences_filter_kinds_and_categories(scene, mail_to_smtp, item, nations):
    officer = scene["people"]["POL"]
    other = type(item.category).objects.create(name="Other category")
    preference_save(user=officer, enabled=True, mode="immediate", kinds=["below_guideline"], nations=[],
                    categories=[other])
    report(scene["pol"], item, 4000)
    assert mail_to_smtp.to(POL_OFFICER) == []  # not the chosen category
    preference_save(user=officer, enabled=True, mode="immediate", kinds=["pledge_overdue"], nations=[],
                    categories=[])
    report(scene["pol"], item, 12_000, dt.date(2024, 1, 2))
    report(scene["pol"], item, 1000, dt.date(2024, 1, 3))
    assert mail_to_smtp.to(POL_OFFICER) == []  # not the chosen kind


def test_email_carries_only_what_the_recipient_may_see(scene, mail_to_smtp, item, nations):
    """A cell user sees every nation; an officer who was moved to another nation no longer gets POL's mail."""
    officer = scene["people"]["POL"]
    officer.membership.nation = nations["USA"]
    officer.membership.save()
    report(scene["pol"], item, 4000)
    assert mail_to_smtp.to(POL_OFFICER) == []
    assert not emails.email_deliveries_create(opened=list(Alert.objects.values_list("pk", flat=True)))
