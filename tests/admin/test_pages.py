"""Every registered model's changelist, add and change pages open for a coordinator."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, reverse

from coordination.models import ApiToken, IdempotencyRecord
from stockpiles.models import StockReport
from tests import factories

# The API engineer registers the first two (coordination/api/admin.py); groups keep Django's admin.
NOT_OURS = {ApiToken, IdempotencyRecord, Group}
MODELS = sorted(
    (m for m in admin.site._registry if m not in NOT_OURS and m._meta.app_label in {"coordination", "pledges",
                                                                                     "stockpiles", "auth"}),
    key=lambda m: m._meta.label,
)
READ_ONLY = {"stockpiles.CurrentStock", "stockpiles.Shortfall", "stockpiles.ShortfallMark", "stockpiles.Alert",
             "stockpiles.ShortfallVersion", "stockpiles.Snapshot"}


def test_every_domain_model_is_registered():
    labels = {m._meta.label for m in MODELS}
    expected = {
        "coordination.Nation", "coordination.Category", "coordination.Item", "coordination.Membership",
        "pledges.Pledge", "pledges.Delivery", "pledges.TrainingCommitment", "pledges.Requirement", "pledges.AidFlow",
        "stockpiles.StockReport", "stockpiles.CurrentStock", "stockpiles.StockpileGuideline",
        "stockpiles.ProductionRate", "stockpiles.Shortfall", "stockpiles.ShortfallMark", "stockpiles.Alert",
        "stockpiles.Manufacturer", "stockpiles.ProductionLine", "stockpiles.FrameworkAgreement",
        "stockpiles.AgreementParticipant", "stockpiles.Order", "stockpiles.OrderScheduleLine",
        get_user_model()._meta.label,
    }
    assert expected <= labels


def _code(prefix: str, i: int) -> str:
    return f"{prefix}{chr(65 + i // 26)}{chr(65 + i % 26)}"


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_add_change_open_for_coordinator(model, world, coordinator_client):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the world fixture has no {model._meta.label}"

    assert coordinator_client.get(_url(model, "changelist")).status_code == 200
    assert coordinator_client.get(_url(model, "changelist"), {"q": "a"}).status_code == 200
    add = coordinator_client.get(_url(model, "add"))
    assert add.status_code == (403 if model._meta.label in READ_ONLY else 200)
    change = coordinator_client.get(_url(model, "change", obj.pk))
    assert change.status_code == 200
    if hasattr(model, "history"):
        assert coordinator_client.get(_url(model, "history", obj.pk)).status_code == 200
    if hasattr(admin.site._registry[model], "export_action"):
        assert coordinator_client.get(_url(model, "export")).status_code == 200


@pytest.mark.django_db
def test_computed_tables_are_read_only_for_the_cell(world, coordinator_client):
    from stockpiles.models import Shortfall

    row = Shortfall.objects.first()
    response = coordinator_client.post(_url(Shortfall, "change", row.pk), {"shortfall": "0"})
    assert response.status_code == 403
    assert coordinator_client.get(_url(Shortfall, "delete", row.pk)).status_code == 403
    with pytest.raises(NoReverseMatch):  # export only, no import view at all
        reverse("admin:stockpiles_shortfall_import")


@pytest.mark.django_db
def test_nsn_shown_4_2_3_4_and_found_as_typed(coordinator_client):
    factories.ItemFactory(name="Fuze", nsn="1320012345678")
    factories.ItemFactory(name="Other", nsn="1320012345679")
    response = coordinator_client.get(reverse("admin:coordination_item_changelist"), {"q": "1320-01-234-5678"})
    body = response.content.decode()
    assert "1320-01-234-5678" in body
    assert "Fuze" in body and "Other" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("model, make", [
    ("pledge", lambda: [factories.PledgeFactory(donor=factories.NationFactory(code=_code("N", i)),
                                                item=factories.ItemFactory(name=f"Item {i}"))
                        for i in range(40)]),
    ("stockreport", lambda: [factories.StockReportFactory(nation=factories.NationFactory(code=_code("S", i)),
                                                          item=factories.ItemFactory(name=f"Item {i}"))
                             for i in range(40)]),
])
def test_changelist_query_count_does_not_grow_with_rows(model, make, coordinator_client,
                                                        django_assert_max_num_queries):
    make()
    url = reverse(f"admin:{'pledges' if model == 'pledge' else 'stockpiles'}_{model}_changelist")
    # Pledges (16): session, user, OTP device (django-otp), membership language, membership+nation (scope),
    # nations for the donor and recipient filters (2), count, filtered count, user and group permissions (2), rows with
    # donor/recipient/item joined, date hierarchy (2), session save. Stock reports need fewer. A fixed
    # number whatever the row count: no query per row.
    with django_assert_max_num_queries(17):
        response = coordinator_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 40


@pytest.mark.django_db
def test_stock_report_change_page_is_read_only(world, coordinator_client):
    report = StockReport.objects.first()
    response = coordinator_client.get(_url(StockReport, "change", report.pk))
    assert response.status_code == 200
    assert b'name="quantity"' not in response.content  # shown, not editable: a correction is a new report


@pytest.mark.django_db
def test_coordinator_manages_accounts_but_cannot_make_superusers(coordinator_client, nations):
    from coordination.models import Membership

    User = get_user_model()
    response = coordinator_client.post(reverse("admin:auth_user_add"), {
        "username": "deu-officer", "password1": "Correct-Horse-42x", "password2": "Correct-Horse-42x",
        "usable_password": "true",
        "membership-TOTAL_FORMS": "1", "membership-INITIAL_FORMS": "0",
        "membership-0-nation": nations["POL"].pk, "membership-0-language": "en",
    })
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    user = User.objects.get(username="deu-officer")
    assert Membership.objects.get(user=user).nation == nations["POL"]

    change = coordinator_client.get(reverse("admin:auth_user_change", args=[user.pk]))
    assert b'name="is_superuser"' not in change.content
    data = {"username": "deu-officer", "is_active": "on", "is_staff": "on", "is_superuser": "on",
            "date_joined_0": "2024-01-01", "date_joined_1": "00:00:00",
            "membership-TOTAL_FORMS": "1", "membership-INITIAL_FORMS": "1",
            "membership-0-id": user.membership.pk, "membership-0-user": user.pk,
            "membership-0-nation": nations["POL"].pk, "membership-0-language": "en"}
    response = coordinator_client.post(reverse("admin:auth_user_change", args=[user.pk]), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, False)
