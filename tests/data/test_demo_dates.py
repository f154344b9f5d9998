"""The demo is dated relative to the day it is loaded (``load_demo --today``): it reads like a live operation on
any day (pledges overdue by days or months, never years; some due ahead; stock reports from the last week;
agreements in force and one expired, said so wherever agreements are listed), while its source facts keep
their own dates."""

import csv
import datetime as dt
import io
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from coordination.access import CELL
from coordination.models import Membership, Nation
from pledges import selectors
from pledges.models import Pledge
from stockpiles.models import FrameworkAgreement, ProductionRate, StockReport
from tests.admin.helpers import export

TODAY = dt.date(2026, 6, 15)  # a fixed day, so these tests read the same dates on every run
MAX_DAYS_OVERDUE = 120  # "recently overdue": days to a few months, never years
EU_JP = "DEMO EU one-million-round joint procurement"
DEU_FA = "DEMO Germany 155 mm framework agreement"


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """The demo loaded for ``TODAY`` once for this module, rolled back at its end (as in test_load_demo.py)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            call_command("load_demo", f"--today={TODAY.isoformat()}", "--no-logins", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(demo_output, db):
    return demo_output


@pytest.fixture
def cell_client(demo):
    user = get_user_model().objects.create_user(username="cell-reader", password="pw-for-tests-1", is_staff=True)
    Membership.objects.create(user=user, is_cell=True)
    client = Client()
    client.force_login(user)
    return client


def key(pledge: Pledge) -> str:
    return pledge.reference.split(" ")[0]


@pytest.mark.django_db
def test_overdue_pledges_are_recent_and_some_are_due_ahead(demo):
    assert f"Dated relative to {TODAY.isoformat()}" in demo
    overdue = selectors.overdue_pledges(actor=CELL, on=TODAY)
    assert overdue, "a live operation has a few late pledges"
    worst = max(o.days_overdue for o in overdue)
    assert 0 < worst <= MAX_DAYS_OVERDUE, [(key(o.pledge), o.days_overdue) for o in overdue]
    assert {key(o.pledge) for o in overdue} == {"DEMO-USA-155-1", "DEMO-USA-PAC3-1", "DEMO-GBR-105-1",
                                                "DEMO-NLD-155-1"}
    live = Pledge.objects.exclude(status=Pledge.Status.CANCELLED)
    ahead = [p for p in live if p.due_on and p.due_on > TODAY]
    assert len(ahead) >= 3
    assert any(p.due_on <= TODAY + dt.timedelta(days=31) for p in ahead)  # one due in the coming weeks
    # Older pledges (announced more than two years ago) are delivered, or were cancelled, or (a long training
    # programme) not due yet: none of them is late.
    old = list(Pledge.objects.filter(announced_on__lt=TODAY - dt.timedelta(days=730)))
    assert sum(p.delivered_quantity == p.quantity for p in old) >= 8
    assert not {key(p) for p in old} & {key(o.pledge) for o in overdue}
    # Nothing is dated after its own today: a delivery shipped or delivered, a pledge announced.
    assert not Pledge.objects.filter(announced_on__gt=TODAY).exists()
    assert all(d.shipped_on is None or d.shipped_on <= TODAY for p in live for d in p.deliveries.all())


@pytest.mark.django_db
def test_stock_reports_end_within_the_last_week(demo):
    latest = {}
    for nation_id, item_id, as_of in StockReport.objects.values_list("nation_id", "item_id", "as_of"):
        latest[(nation_id, item_id)] = max(as_of, latest.get((nation_id, item_id), as_of))
    assert len(latest) == 42
    assert all(TODAY - dt.timedelta(days=7) <= day < TODAY for day in latest.values()), sorted(set(latest.values()))
    assert len(set(latest.values())) > 1  # nations report on different days
    first = StockReport.objects.order_by("as_of").first().as_of
    assert first == dt.date(2021, 7, 1)  # 59 months before June 2026: five years of history


@pytest.mark.django_db
def test_agreements_in_force_and_one_expired(demo):
    eu, deu = FrameworkAgreement.objects.get(name=EU_JP), FrameworkAgreement.objects.get(name=DEU_FA)
    assert eu.validity(TODAY) == FrameworkAgreement.Validity.EXPIRED
    assert eu.valid_to == dt.date(2025, 6, 30)  # the end of the month eleven months before
    assert deu.validity(TODAY) == FrameworkAgreement.Validity.IN_FORCE
    assert deu.valid_to == dt.date(2029, 6, 30)
    # Orders under an agreement were placed while it was in force (the service refuses any other).
    for agreement in (eu, deu):
        assert all(agreement.in_force(o.ordered_on) for o in agreement.orders.all())


@pytest.mark.django_db
def test_the_expired_agreement_says_expired_wherever_agreements_are_listed(demo, cell_client):
    """The demo's EU agreement ended a year before the real today too: the dashboard, its CSV, the admin's
    list and export and the API all say so; Germany's (in force) says nothing of the kind."""
    assert FrameworkAgreement.objects.get(name=EU_JP).validity(timezone.localdate()) == "expired"
    with translation.override("en"):
        page = cell_client.get("/procurement/")
        table = page.context["tables"]["agreements"]
        notes = {row[0]: str(row[-1]) for row in table.rows}
        assert table.columns[-1].key == "note"
        assert notes[EU_JP] == "Expired" and notes[DEU_FA] == ""
        exported = list(csv.reader(io.StringIO(cell_client.get(
            "/procurement/", {"export": "csv", "table": "agreements"}).content.decode("utf-8-sig"))))
        by_name = {row[0]: row for row in exported}
        assert by_name[EU_JP][-1] == "Expired" and by_name[DEU_FA][-1] == ""

        admin_list = cell_client.get(reverse("admin:stockpiles_frameworkagreement_changelist"))
        html = admin_list.content.decode()
        assert admin_list.status_code == 200
        assert html.count('<td class="field-validity">Expired</td>') == 1
        assert html.count('<td class="field-validity">In force</td>') == 1
        expired_only = cell_client.get(reverse("admin:stockpiles_frameworkagreement_changelist"),
                                       {"validity": "expired"})
        assert [a.name for a in expired_only.context["cl"].result_list] == [EU_JP]
        in_force = cell_client.get(reverse("admin:stockpiles_frameworkagreement_changelist"),
                                   {"validity": "in_force"})
        assert [a.name for a in in_force.context["cl"].result_list] == [DEU_FA]

        rows = {r["name"]: r for r in csv.DictReader(io.StringIO(
            export(cell_client, "stockpiles", "frameworkagreement", "csv").decode("utf-8-sig")))}
        assert (rows[EU_JP]["validity"], rows[DEU_FA]["validity"]) == ("Expired", "In force")

    api = cell_client.get("/api/v1/agreements/")
    assert api.status_code == 200
    validity = {a["name"]: a["validity"] for a in api.json()["results"]}
    assert validity == {EU_JP: "expired", DEU_FA: "in_force"}


@pytest.mark.django_db
def test_source_facts_keep_their_dates(demo):
    eu = Pledge.objects.filter(donor__code="EU")
    assert {(p.announced_on, p.due_on) for p in eu} == {(dt.date(2023, 3, 20), dt.date(2024, 12, 31))}
    assert all(p.delivered_quantity == p.quantity for p in eu)  # delivered: not years overdue
    us = ProductionRate.objects.filter(nation__code="USA", item__name="155 mm HE projectile", line__isnull=True)
    assert us.get(units_per_month=14_000).effective_from == dt.date(2021, 1, 1)
    assert us.get(units_per_month=80_000).effective_from == dt.date(2024, 7, 1)
    assert Nation.objects.get(code="SWE").joined_on == dt.date(2024, 3, 7)


@pytest.mark.django_db
def test_a_day_the_demo_cannot_be_dated_on_is_refused(demo):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    for day, words in ((tomorrow, "stock reports are never dated in the future"),
                       (dt.date(2024, 12, 31), "from 2025-01-01")):
        with pytest.raises(CommandError, match=words):
            call_command("load_demo", f"--today={day.isoformat()}", stdout=StringIO())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("load_demo", "--today=15/06/2026", stdout=StringIO())
