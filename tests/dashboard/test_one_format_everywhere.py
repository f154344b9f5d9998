"""Issue 16, point 10: one format everywhere. ISO 8601 dates and times to the minute, numbers grouped per
language, in the admin and on the audit page; ids in URLs and values, the API's JSON and the exports plain."""

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination.models import Item, Membership
from tests import factories
from tests.admin.helpers import export


def test_dates_are_iso_and_numbers_grouped_in_both_languages():
    day, moment = dt.date(2026, 12, 3), dt.datetime(2026, 12, 3, 7, 56, 12, 345678)
    for language, grouped in (("en", "1,234,567"), ("fr", "1\u00a0234\u00a0567")):
        with translation.override(language):
            assert formats.date_format(day) == "2026-12-03"
            assert formats.date_format(day, "SHORT_DATE_FORMAT") == "2026-12-03"
            assert formats.date_format(moment, "DATETIME_FORMAT") == "2026-12-03 07:56"
            assert formats.localize(1_234_567) == grouped
            assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"


@pytest.fixture
def cell(coordinator):
    client = Client()
    client.force_login(coordinator)
    return client


@pytest.fixture
def pledge(nations, item):
    return factories.PledgeFactory(donor=nations["USA"], recipient=nations["UKR"], item=item, quantity=40_000,
                                   announced_on=dt.date(2024, 1, 15), due_on=dt.date(2024, 6, 30))


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "number"), [("en", "40,000"), ("fr", "40\u00a0000")])
def test_admin_lists_iso_dates_and_grouped_numbers(pledge, coordinator, cell, language, number):
    Membership.objects.filter(user=coordinator).update(language=language)
    html = cell.get(reverse("admin:pledges_pledge_changelist")).content.decode()
    assert f'<td class="field-quantity">{number}</td>' in html, html[html.find("field-quantity"):][:200]
    assert "2024-06-30" in html and "June 30, 2024" not in html and "30 juin 2024" not in html
    form = cell.get(reverse("admin:pledges_pledge_change", args=[pledge.pk])).content.decode()
    assert 'value="2024-06-30"' in form  # the date input shows ISO, in French too
    assert 'name="quantity" value="40000"' in form  # an input's number is not grouped (it is read back)


@pytest.mark.django_db
def test_admin_saves_a_form_after_grouping_is_on(pledge, nations, cell):
    response = cell.post(reverse("admin:pledges_pledge_change", args=[pledge.pk]), {
        "donor": nations["USA"].pk, "recipient": nations["UKR"].pk, "item": pledge.item_id, "quantity": "41000",
        "value_eur": "1000000.00", "source": "national_stock", "status": "announced", "releasability": "alliance",
        "announced_on": "2024-01-15", "due_on": "2024-06-30", "reference": "", "notes": "",
        "deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0",
        "deliveries-MIN_NUM_FORMS": "0", "deliveries-MAX_NUM_FORMS": "1000",
    })
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.quantity == 41_000


@pytest.mark.django_db
def test_exports_and_the_api_keep_numbers_plain(pledge, nations, cell):
    text = export(cell, "pledges", "pledge", "csv").decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["quantity"] == "40000" and row["value_eur"] in ("1000000", "1000000.00")
    from coordination.api.tokens import token_issue
    from tests.api.conftest import client_with

    api = client_with(token_issue(nation=nations["USA"], name="feed")[1])
    body = api.get("/api/v1/pledges/").json()
    first = body["results"][0] if isinstance(body, dict) else body[0]
    assert first["quantity"] == 40000


@pytest.mark.django_db
def test_an_id_in_a_link_is_not_grouped(nations, cell):
    Item.objects.create(pk=12345, name="Big id item", unit="rounds", category=factories.CategoryFactory())
    html = cell.get(reverse("dashboard:item", args=[12345])).content.decode()
    assert "?item=12345" in html and "12,345" not in html


@pytest.mark.django_db
def test_audit_page_reads_like_the_rest(pledge, coordinator, cell):
    pledge.quantity = 39_000
    pledge._history_user = coordinator
    pledge.save()
    TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    response = cell.get("/audit/")
    rows = response.context["rows"]
    change = next(r for r in rows if r.model == "Pledge" and r.action == "changed")
    assert change.shown == [("Quantity", "40,000", "39,000")]
    created = next(r for r in rows if r.model == "Pledge" and r.action == "created")
    assert ("Status", "", "Committed") in created.shown and ("Source", "", "National stock") in created.shown
    assert ("Due on", "", "2024-06-30") in created.shown and ("Quantity", "", "40,000") in created.shown
    device = next(r for r in rows if r.action == "created" and any(label == "Name" for label, _o, _n in r.shown)
                  and r.model != "Pledge")
    labels = {label for label, _old, _new in device.shown}
    assert not labels & {"t0", "tolerance", "drift", "key", "T0", "Tolerance"}, labels
    html = response.content.decode()
    assert "<code>" not in html
    when = rows[0].when
    assert f">{when:%Y-%m-%d %H:%M}</time>" in html and f"{when:%H:%M:%S}</time>" not in html


@pytest.mark.django_db
def test_admin_id_columns_are_not_grouped(nations, item, cell):
    factories.PledgeFactory(pk=12345, donor=nations["USA"], recipient=nations["UKR"], item=item, quantity=5)
    html = cell.get(reverse("admin:pledges_pledge_changelist")).content.decode()
    assert ">12345</a>" in html and "12,345" not in html
