"""Every write path leaves a history row: who (user, or the API token), which nation, when, and for a
change what changed (old → new, via ``diff_against``).

The matrix: admin (add, change, delete, inline), API (create, update, bulk) by a national token and by a
cell session, CSV import (row by row and the bulk importers), the dashboard, management commands and
the Celery tasks. Attribution of a token write: ``history_user`` is empty and ``history_change_reason``
names the token and its nation (``coordination.api.attribution``; the audit page reads it).

Accounts: django.contrib.auth's User has history too (registered in ``coordination.models``, without the
password hash and the last login; a login writes no row), and so do the two-factor devices (without
the secret or the per-login bookkeeping; a new password and a recovery code used are named). Commands
name themselves as the writer ("command: load_demo", ``coordination.history.command_attribution``).

The count of write paths (one path = a channel × a model × create/change/delete, as the CASES below
return them, plus the API bulk endpoints, the admin inlines, each command and each task):
  before this count was kept here: 63 channel × model × operation + 2 API bulk + 1 inline (a pledge's
  deliveries) + 3 commands (load_demo, issue_token, import_ust) + 2 tasks = 71 tested;
  then: 79 + 2 API bulk + 2 inlines (+ a user's membership) + 4 commands (+ ensure_local_admin) + 2 tasks
  = 89 tested; now also the procurement API (an order and its schedule lines created by a token, an order
  changed by a token, an agreement and a participant created by the cell): 84 + 2 + 2 + 4 + 2 = 94 tested;
  now also the procurement models in the admin (manufacturer add/change, production line add/delete,
  agreement add/change, participant change, order add/change, schedule line change/delete: 11, and three
  inlines: a line's capacity rates, an agreement's participants, an order's schedule) and by import
  (manufacturer add, and add/change of production lines, agreements, participants, orders, schedule
  lines: 11), and the account pages (``tests/security/test_account_history.py``: a new password, an
  authenticator app enrolled and confirmed, recovery codes regenerated, a recovery code used: 5):
  106 + 2 bulk + 5 inlines + 4 commands + 2 tasks + 5 account = 124 tested.
  Not writes, so not counted: a category changed by import (its only column is its key), a stock
  report changed by import or the API (append-only: refused), deletes the admin does not offer
  (pledges, deliveries, stock reports, tokens, agreements, participants, orders) and the API's (none).
  Not counted as changes either: a login (last login), a password rehashed at login, a two-factor
  device's per-login bookkeeping (counter, drift, throttling, last use).

The background tasks' own writes: every alert the shortfall engine raises or closes has a history row
named "task: shortfall engine" (tested below; the 2 tasks in the count).

Deliberately without history (and tested to stay so): the computed tables the engine and its tasks
write (Shortfall, CurrentStock, ShortfallMark — re-derived from historied inputs at any date with
``recompute_shortfalls --as-of``) and a token's ``last_used_at`` (bookkeeping).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import update_last_login
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from coordination.access import CELL
from coordination.api.tokens import token_issue
from coordination.models import ApiToken, Category, Item, Membership, Nation
from pledges.models import AidFlow, Delivery, Pledge, Requirement, TrainingCommitment
from pledges.services import delivery_create
from stockpiles.models import (
    AgreementParticipant,
    FrameworkAgreement,
    Manufacturer,
    Order,
    OrderScheduleLine,
    ProductionLine,
    ProductionRate,
    StockpileGuideline,
    StockReport,
)
from stockpiles.services import stock_report_create
from tests import factories
from tests.admin.helpers import confirm, preview
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


def factories_user(username: str):
    """An account without a membership yet."""
    return User.objects.create_user(username=username, password="pw-for-tests-1", is_staff=True)


@dataclass
class Env:
    nations: dict
    item: object
    cell_user: object
    officer: object  # POL
    token: object
    token_key: str
    pledge: Pledge
    delivery: Delivery
    training: TrainingCommitment
    requirement: Requirement
    guideline: StockpileGuideline
    rate: ProductionRate
    flow: AidFlow

    def admin(self, user):
        from django.test import Client

        client = Client()
        client.force_login(user)
        return client

    def api_token(self):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {self.token_key}")
        return client

    def api_cell(self):
        client = APIClient()
        client.force_login(self.cell_user)
        return client


@pytest.fixture
def env(nations, item, settings):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"client": "100000/min", "bulk": "100000/min"}
    settings.REST_FRAMEWORK = rest
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    pol, ukr = nations["POL"], nations["UKR"]
    pledge = factories.PledgeFactory(donor=pol, recipient=ukr, item=item, quantity=1000, due_on=None)
    delivery = delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=10)
    token, key = token_issue(nation=pol, name="POL logistics")
    return Env(
        nations=nations, item=item, cell_user=make_user("cell-audit", is_cell=True),
        officer=make_user("pol-audit", nation=pol), token=token, token_key=key, pledge=pledge,
        delivery=delivery, training=factories.TrainingCommitmentFactory(donor=pol, recipient=ukr),
        requirement=factories.RequirementFactory(recipient=ukr, item=item),
        guideline=factories.GuidelineFactory(item=item),
        rate=factories.ProductionRateFactory(nation=pol, item=item),
        flow=AidFlow.objects.create(nation=pol, month=dt.date(2024, 1, 1), allocated_eur=100, military_eur=80,
                                    financial_eur=10, humanitarian_eur=10, committed_eur=150, to_be_allocated_eur=50),
    )


# --- What every history row must say ---------------------------------------------------------------

def token_reason(env) -> str:
    return f"API token #{env.token.pk} 'POL logistics' (POL)"


def check_row(record, *, since, who, env, kind: str, changed: dict | None = None, nation=None):
    """``who``: a user, or ``"token"``. ``changed``: field → (old, new) for a change."""
    assert record is not None, "no history row"
    assert record.history_type == kind, record.history_type
    assert since <= record.history_date <= timezone.now(), "history_date is not the time of the write"
    if who == "token":
        assert record.history_user is None
        assert record.history_change_reason == token_reason(env)  # names the token and its nation
    else:
        assert record.history_user == who, (record.history_user, who)
        membership = Membership.objects.filter(user=who).first()
        writer_nation = None if membership is None or membership.is_cell else membership.nation
        if nation is not None and writer_nation is not None:
            assert writer_nation == nation, "a national user wrote another nation's record"
    if changed:
        previous = record.prev_record
        assert previous is not None, "a change without the record's earlier state"
        delta = {c.field: (c.old, c.new) for c in record.diff_against(previous).changes}
        for field, (old, new) in changed.items():
            assert (getattr(previous, field), getattr(record, field)) == (old, new), field
            if record.instance_type._meta.get_field(field).editable:
                assert delta.get(field) == (old, new), (field, delta)
            # else: derived totals (editable=False); diff_against (model_to_dict) leaves those out


def latest(model, **filters):
    return model.history.filter(**filters).order_by("-history_date", "-history_id").first()


# --- The matrix ------------------------------------------------------------------------------------

def _admin_add(env, user, app, model, data):
    response = env.admin(user).post(reverse(f"admin:{app}_{model}_add"), data)
    assert response.status_code == 302, getattr(response, "context", None) and response.context.get(
        "adminform") and response.context["adminform"].form.errors


def _admin_change(env, user, app, model, pk, data):
    response = env.admin(user).post(reverse(f"admin:{app}_{model}_change", args=[pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response


def _admin_delete(env, user, app, model, pk):
    response = env.admin(user).post(reverse(f"admin:{app}_{model}_delete", args=[pk]), {"post": "yes"})
    assert response.status_code == 302


def _pledge_form(env, **overrides):
    p = env.pledge
    data = {"donor": p.donor_id, "recipient": p.recipient_id, "item": p.item_id, "quantity": p.quantity,
            "value_eur": "", "source": p.source, "status": p.status, "releasability": p.releasability,
            "announced_on": p.announced_on.isoformat(), "due_on": "", "reference": "", "notes": "",
            "deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0", "deliveries-MIN_NUM_FORMS": "0",
            "deliveries-MAX_NUM_FORMS": "1000"}
    data.update(overrides)
    return data


def _rate_form(env, **overrides):
    r = env.rate
    return {"nation": r.nation_id, "item": r.item_id, "units_per_month": r.units_per_month,
            "effective_from": r.effective_from.isoformat(), "reference": r.reference, **overrides}


def _training_form(env, **overrides):
    t = env.training
    return {"donor": t.donor_id, "recipient": t.recipient_id, "programme": t.programme,
            "trainees_committed": t.trainees_committed, "trainees_completed": t.trainees_completed,
            "start_on": "", "end_on": "", "status": t.status, "reference": "", **overrides}


def _requirement_form(env, **overrides):
    r = env.requirement
    return {"recipient": r.recipient_id, "item": r.item_id, "quantity": r.quantity,
            "period_from": r.period_from.isoformat(), "period_to": r.period_to.isoformat(),
            "priority": r.priority, "notes": "", **overrides}


def _guideline_form(env, **overrides):
    g = env.guideline
    return {"item": g.item_id, "nation": "", "minimum_quantity": g.minimum_quantity,
            "effective_from": g.effective_from.isoformat(), "effective_to": "", **overrides}


def _flow_form(env, **overrides):
    f = env.flow
    return {"nation": f.nation_id, "month": f.month.isoformat(), "allocated_eur": "100", "military_eur": "80",
            "financial_eur": "10", "humanitarian_eur": "10", "committed_eur": "150", "to_be_allocated_eur": "50",
            "source": "", **overrides}


# Each case: (name, run(env) -> list of (model, filters, who, kind, changed, nation)).

def admin_category_add(env):
    _admin_add(env, env.cell_user, "coordination", "category", {"name": "Air defence"})
    return [(Category, {"name": "Air defence"}, env.cell_user, "+", None, None)]


def admin_category_change(env):
    category = env.item.category
    old = category.name
    _admin_change(env, env.cell_user, "coordination", "category", category.pk, {"name": "Artillery rounds"})
    return [(Category, {"id": category.pk}, env.cell_user, "~", {"name": (old, "Artillery rounds")}, None)]


def admin_category_delete(env):
    category = factories.CategoryFactory(name="Obsolete")
    _admin_delete(env, env.cell_user, "coordination", "category", category.pk)
    return [(Category, {"id": category.pk}, env.cell_user, "-", None, None)]


def admin_item_add(env):
    _admin_add(env, env.cell_user, "coordination", "item", {"category": env.item.category_id, "name": "Patriot PAC-3",
                                                             "unit": "missiles", "nsn": "", "unit_value_eur": ""})
    return [(Item, {"name": "Patriot PAC-3"}, env.cell_user, "+", None, None)]


def admin_nation_change(env):
    nation = env.nations["USA"]
    _admin_change(env, env.cell_user, "coordination", "nation", nation.pk,
                  {"code": "USA", "name": "United States of America", "role": "ally", "joined_on": "1949-04-04"})
    return [(Nation, {"id": nation.pk}, env.cell_user, "~",
             {"name": ("United States", "United States of America")}, None)]


def admin_pledge_add(env):
    _admin_add(env, env.officer, "pledges", "pledge", _pledge_form(env, quantity=77, reference="new"))
    return [(Pledge, {"reference": "new"}, env.officer, "+", None, env.nations["POL"])]


def admin_pledge_change(env):
    _admin_change(env, env.officer, "pledges", "pledge", env.pledge.pk, _pledge_form(env, reference="PR 2024-03"))
    return [(Pledge, {"id": env.pledge.pk}, env.officer, "~", {"reference": ("", "PR 2024-03")}, env.nations["POL"])]


def admin_pledge_inline_delivery(env):
    data = _pledge_form(env)
    data.update({"deliveries-TOTAL_FORMS": "1", "deliveries-0-quantity": "40", "deliveries-0-status": "scheduled",
                 "deliveries-0-reference": "inline"})
    _admin_change(env, env.officer, "pledges", "pledge", env.pledge.pk, data)
    return [(Delivery, {"reference": "inline"}, env.officer, "+", None, env.nations["POL"]),
            (Pledge, {"id": env.pledge.pk}, env.officer, "~", {"allocated_quantity": (10, 50)}, env.nations["POL"])]


def admin_delivery_add(env):
    _admin_add(env, env.officer, "pledges", "delivery", {"pledge": env.pledge.pk, "quantity": 5, "status": "scheduled",
                                                          "shipped_on": "", "delivered_on": "", "reference": "adm"})
    return [(Delivery, {"reference": "adm"}, env.officer, "+", None, env.nations["POL"]),
            (Pledge, {"id": env.pledge.pk}, env.officer, "~", {"allocated_quantity": (10, 15)}, env.nations["POL"])]


def admin_delivery_change(env):
    _admin_change(env, env.officer, "pledges", "delivery", env.delivery.pk,
                  {"quantity": 10, "status": "in_transit", "shipped_on": "2024-03-01", "delivered_on": "",
                   "reference": ""})
    return [(Delivery, {"id": env.delivery.pk}, env.officer, "~", {"status": ("scheduled", "in_transit")},
             env.nations["POL"]),
            (Pledge, {"id": env.pledge.pk}, env.officer, "~", {"shipped_quantity": (0, 10)}, env.nations["POL"])]


def admin_stock_report_add(env):
    _admin_add(env, env.officer, "stockpiles", "stockreport", {"nation": env.nations["POL"].pk, "item": env.item.pk,
                                                                "quantity": 4000, "as_of": "2024-03-01"})
    return [(StockReport, {"as_of": dt.date(2024, 3, 1)}, env.officer, "+", None, env.nations["POL"])]


def admin_guideline_change(env):
    _admin_change(env, env.cell_user, "stockpiles", "stockpileguideline", env.guideline.pk,
                  _guideline_form(env, minimum_quantity=12000))
    return [(StockpileGuideline, {"id": env.guideline.pk}, env.cell_user, "~", {"minimum_quantity": (10000, 12000)},
             None)]


def admin_guideline_delete(env):
    _admin_delete(env, env.cell_user, "stockpiles", "stockpileguideline", env.guideline.pk)
    return [(StockpileGuideline, {"id": env.guideline.pk}, env.cell_user, "-", None, None)]


def admin_rate_add(env):
    _admin_add(env, env.officer, "stockpiles", "productionrate",
               _rate_form(env, effective_from="2025-01-01", units_per_month=900))
    return [(ProductionRate, {"effective_from": dt.date(2025, 1, 1)}, env.officer, "+", None, env.nations["POL"])]


def admin_rate_change(env):
    _admin_change(env, env.officer, "stockpiles", "productionrate", env.rate.pk, _rate_form(env, units_per_month=1500))
    return [(ProductionRate, {"id": env.rate.pk}, env.officer, "~", {"units_per_month": (1000, 1500)},
             env.nations["POL"])]


def admin_rate_delete(env):
    _admin_delete(env, env.officer, "stockpiles", "productionrate", env.rate.pk)
    return [(ProductionRate, {"id": env.rate.pk}, env.officer, "-", None, env.nations["POL"])]


def admin_training_change(env):
    _admin_change(env, env.officer, "pledges", "trainingcommitment", env.training.pk,
                  _training_form(env, trainees_completed=40))
    return [(TrainingCommitment, {"id": env.training.pk}, env.officer, "~", {"trainees_completed": (0, 40)},
             env.nations["POL"])]


def admin_training_delete(env):
    _admin_delete(env, env.officer, "pledges", "trainingcommitment", env.training.pk)
    return [(TrainingCommitment, {"id": env.training.pk}, env.officer, "-", None, env.nations["POL"])]


def admin_requirement_change(env):
    _admin_change(env, env.cell_user, "pledges", "requirement", env.requirement.pk,
                  _requirement_form(env, quantity=20000))
    return [(Requirement, {"id": env.requirement.pk}, env.cell_user, "~", {"quantity": (10000, 20000)}, None)]


def admin_requirement_delete(env):
    _admin_delete(env, env.cell_user, "pledges", "requirement", env.requirement.pk)
    return [(Requirement, {"id": env.requirement.pk}, env.cell_user, "-", None, None)]


def admin_aidflow_change(env):
    _admin_change(env, env.cell_user, "pledges", "aidflow", env.flow.pk, _flow_form(env, source="Kiel"))
    return [(AidFlow, {"id": env.flow.pk}, env.cell_user, "~", {"source": ("", "Kiel")}, None)]


def admin_membership_change(env):
    membership = env.officer.membership
    response = env.admin(env.cell_user).post(reverse("admin:coordination_membership_change", args=[membership.pk]), {
        "user": env.officer.pk, "nation": env.nations["POL"].pk, "is_cell": "", "language": "fr"})
    assert response.status_code == 302
    return [(Membership, {"id": membership.pk}, env.cell_user, "~", {"language": ("en", "fr")}, None)]



def admin_membership_add_and_delete(env):
    user = factories_user("newcomer")
    _admin_add(env, env.cell_user, "coordination", "membership",
               {"user": user.pk, "nation": env.nations["POL"].pk, "is_cell": "", "language": "en"})
    added = Membership.objects.get(user=user)
    _admin_delete(env, env.cell_user, "coordination", "membership", added.pk)
    assert not Membership.objects.filter(pk=added.pk).exists()
    return [(Membership, {"id": added.pk, "history_type": "+"}, env.cell_user, "+", None, None),
            (Membership, {"id": added.pk}, env.cell_user, "-", None, None)]


def admin_token_issue_and_revoke(env):
    client = env.admin(env.cell_user)
    response = client.post(reverse("admin:coordination_apitoken_add"),
                           {"nation": env.nations["POL"].pk, "name": "POL depot", "expires_at": ""})
    assert response.status_code == 302
    token = ApiToken.objects.get(name="POL depot")
    response = client.post(reverse("admin:coordination_apitoken_changelist"),
                           {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    return [(ApiToken, {"id": token.pk, "history_type": "+"}, env.cell_user, "+", None, None),
            (ApiToken, {"id": token.pk}, env.cell_user, "~", {"revoked_at": (None, token.revoked_at)}, None)]


def _user_form(user, **overrides):
    m = user.membership
    data = {"username": user.username, "first_name": "", "last_name": "", "email": user.email,
            "is_active": "on", "is_staff": "on", "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "membership-TOTAL_FORMS": "1", "membership-INITIAL_FORMS": "1", "membership-MIN_NUM_FORMS": "0",
            "membership-MAX_NUM_FORMS": "1", "membership-0-id": m.pk, "membership-0-user": user.pk,
            "membership-0-nation": m.nation_id or "", "membership-0-language": m.language}
    if m.is_cell:
        data["membership-0-is_cell"] = "on"
    data.update(overrides)
    return data


def admin_user_add(env):
    response = env.admin(env.cell_user).post(reverse("admin:auth_user_add"), {
        "username": "new-officer", "password1": "a-Long-pass-phrase-42", "password2": "a-Long-pass-phrase-42",
        "usable_password": "true",
        "membership-TOTAL_FORMS": "1", "membership-INITIAL_FORMS": "0", "membership-MIN_NUM_FORMS": "0",
        "membership-MAX_NUM_FORMS": "1", "membership-0-nation": env.nations["POL"].pk, "membership-0-language": "en"})
    assert response.status_code == 302, response.context and [
        f.errors for f in [response.context["adminform"].form]] + [
        fs.errors for fs in response.context["inline_admin_formsets"]]
    user = User.objects.get(username="new-officer")
    return [(User, {"id": user.pk, "history_type": "+"}, env.cell_user, "+", None, None),
            (Membership, {"user_id": user.pk}, env.cell_user, "+", None, None)]


def admin_user_change(env):
    officer = env.officer
    _admin_change(env, env.cell_user, "auth", "user", officer.pk,
                  _user_form(officer, email="pol@example.org"))
    return [(User, {"id": officer.pk}, env.cell_user, "~", {"email": ("", "pol@example.org")}, None)]


def admin_user_deactivate_and_delete(env):
    spare = make_user("spare-officer", nation=env.nations["POL"])
    form = _user_form(spare)
    del form["is_active"]
    _admin_change(env, env.cell_user, "auth", "user", spare.pk, form)
    spare_pk = spare.pk
    _admin_delete(env, env.cell_user, "auth", "user", spare_pk)
    assert not User.objects.filter(pk=spare_pk).exists()
    return [(User, {"id": spare_pk, "history_type": "~"}, env.cell_user, "~", {"is_active": (True, False)}, None),
            (User, {"id": spare_pk}, env.cell_user, "-", None, None)]

# --- API ---

def _api(client, method, url, body):
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code in (200, 201), (url, response.status_code, response.content[:400])
    return response.json()


def api_token_pledge_create(env):
    body = _api(env.api_token(), "post", "/api/v1/pledges/", {"recipient": "UKR", "item": env.item.pk, "quantity": 5,
                                                              "announced_on": "2024-02-01"})
    return [(Pledge, {"id": body["id"]}, "token", "+", None, None)]


def api_token_pledge_update(env):
    _api(env.api_token(), "patch", f"/api/v1/pledges/{env.pledge.pk}/", {"quantity": 900})
    return [(Pledge, {"id": env.pledge.pk}, "token", "~", {"quantity": (1000, 900)}, None)]


def api_token_delivery_create(env):
    body = _api(env.api_token(), "post", "/api/v1/deliveries/", {"pledge": env.pledge.pk, "quantity": 7})
    return [(Delivery, {"id": body["id"]}, "token", "+", None, None),
            (Pledge, {"id": env.pledge.pk}, "token", "~", {"allocated_quantity": (10, 17)}, None)]


def api_token_delivery_bulk(env):
    body = _api(env.api_token(), "post", "/api/v1/deliveries/bulk/", [
        {"pledge": env.pledge.pk, "quantity": 3}, {"pledge": env.pledge.pk, "quantity": 4, "status": "in_transit",
                                                   "shipped_on": "2024-03-01"}])
    return [*[(Delivery, {"id": row["id"]}, "token", "+", None, None) for row in body["results"]],
            (Pledge, {"id": env.pledge.pk}, "token", "~", {"allocated_quantity": (10, 17), "shipped_quantity": (0, 4)},
             None)]


def api_token_delivery_update(env):
    _api(env.api_token(), "patch", f"/api/v1/deliveries/{env.delivery.pk}/",
         {"status": "delivered", "shipped_on": "2024-03-01", "delivered_on": "2024-03-05"})
    return [(Delivery, {"id": env.delivery.pk}, "token", "~", {"status": ("scheduled", "delivered")}, None),
            (Pledge, {"id": env.pledge.pk}, "token", "~", {"delivered_quantity": (0, 10)}, None)]


def api_token_stock_report(env):
    body = _api(env.api_token(), "post", "/api/v1/stock-reports/", {"item": env.item.pk, "quantity": 5,
                                                                    "as_of": "2024-03-01"})
    return [(StockReport, {"id": body["id"]}, "token", "+", None, None)]


def api_token_stock_report_bulk(env):
    body = _api(env.api_token(), "post", "/api/v1/stock-reports/bulk/", [
        {"item": env.item.pk, "quantity": q, "as_of": f"2024-03-0{q}"} for q in (1, 2, 3)])
    return [(StockReport, {"id": row["id"]}, "token", "+", None, None) for row in body["results"]]


def api_token_training(env):
    body = _api(env.api_token(), "post", "/api/v1/training-commitments/", {
        "recipient": "UKR", "programme": "F-16 pilot", "trainees_committed": 12})
    _api(env.api_token(), "patch", f"/api/v1/training-commitments/{body['id']}/", {"trainees_completed": 4})
    return [(TrainingCommitment, {"id": body["id"]}, "token", "~", {"trainees_completed": (0, 4)}, None)]


def api_token_rate(env):
    body = _api(env.api_token(), "post", "/api/v1/production-rates/", {"item": env.item.pk, "units_per_month": 10,
                                                                       "effective_from": "2025-01-01"})
    _api(env.api_token(), "patch", f"/api/v1/production-rates/{body['id']}/", {"units_per_month": 20})
    return [(ProductionRate, {"id": body["id"]}, "token", "~", {"units_per_month": (10, 20)}, None)]


def api_cell_catalogue(env):
    category = _api(env.api_cell(), "post", "/api/v1/categories/", {"name": "Drones"})
    _api(env.api_cell(), "patch", f"/api/v1/categories/{category['id']}/", {"name": "UAS"})
    item = _api(env.api_cell(), "post", "/api/v1/items/", {"category": category["id"], "name": "Shahed interceptor",
                                                           "unit": "units"})
    _api(env.api_cell(), "patch", "/api/v1/nations/USA/", {"name": "USA"})
    return [(Category, {"id": category["id"]}, env.cell_user, "~", {"name": ("Drones", "UAS")}, None),
            (Item, {"id": item["id"]}, env.cell_user, "+", None, None),
            (Nation, {"code": "USA"}, env.cell_user, "~", {"name": ("United States", "USA")}, None)]


def api_cell_guideline_requirement(env):
    guideline = _api(env.api_cell(), "post", "/api/v1/guidelines/", {
        "item": env.item.pk, "nation": "POL", "minimum_quantity": 5, "effective_from": "2024-01-01"})
    _api(env.api_cell(), "patch", f"/api/v1/requirements/{env.requirement.pk}/", {"quantity": 11})
    return [(StockpileGuideline, {"id": guideline["id"]}, env.cell_user, "+", None, None),
            (Requirement, {"id": env.requirement.pk}, env.cell_user, "~", {"quantity": (10000, 11)}, None)]


# --- Imports (CSV through the admin: row by row, and the bulk importers) ---

def _import(env, user, app, model, csv: str):
    client = env.admin(user)
    response = confirm(client, app, model, preview(client, app, model, "csv", csv.encode()))
    assert response.status_code == 302, response


def import_categories(env):
    _import(env, env.cell_user, "coordination", "category", "name\nEngineering\n")
    return [(Category, {"name": "Engineering"}, env.cell_user, "+", None, None)]


def import_pledge_change(env):
    p = env.pledge
    _import(env, env.officer, "pledges", "pledge",
            "id,donor,recipient,item,quantity,value_eur,announced_on,due_on,source,status,releasability,reference,notes\n"
            f"{p.pk},POL,UKR,{env.item.name},1200,,{p.announced_on},,{p.source},{p.status},{p.releasability},,\n")
    return [(Pledge, {"id": p.pk}, env.officer, "~", {"quantity": (1000, 1200)}, env.nations["POL"])]


def import_deliveries_bulk(env):
    _import(env, env.officer, "pledges", "delivery",
            "id,pledge,quantity,status,shipped_on,delivered_on,reference\n"
            f",{env.pledge.pk},20,scheduled,,,imported\n")
    return [(Delivery, {"reference": "imported"}, env.officer, "+", None, env.nations["POL"]),
            (Pledge, {"id": env.pledge.pk}, env.officer, "~", {"allocated_quantity": (10, 30)}, env.nations["POL"])]


def import_stock_reports_bulk(env):
    _import(env, env.officer, "stockpiles", "stockreport",
            f"nation,item,as_of,quantity\nPOL,{env.item.name},2024-04-01,321\n")
    return [(StockReport, {"quantity": 321}, env.officer, "+", None, env.nations["POL"])]


def import_rate_change(env):
    r = env.rate
    _import(env, env.officer, "stockpiles", "productionrate",
            f"id,nation,item,units_per_month,effective_from,reference\n{r.pk},POL,{env.item.name},1100,"
            f"{r.effective_from},\n")
    return [(ProductionRate, {"id": r.pk}, env.officer, "~", {"units_per_month": (1000, 1100)}, env.nations["POL"])]


def import_requirement_change(env):
    r = env.requirement
    _import(env, env.cell_user, "pledges", "requirement",
            f"id,recipient,item,quantity,period_from,period_to,priority,notes\n{r.pk},UKR,{env.item.name},9000,"
            f"{r.period_from},{r.period_to},{r.priority},\n")
    return [(Requirement, {"id": r.pk}, env.cell_user, "~", {"quantity": (10000, 9000)}, None)]


def admin_more_adds(env):
    _admin_add(env, env.cell_user, "coordination", "nation", {"code": "FRA", "name": "France", "role": "ally",
                                                               "joined_on": "1949-04-04"})
    _admin_add(env, env.officer, "pledges", "trainingcommitment",
               _training_form(env, programme="Leopard 2 crew II", trainees_committed=30))
    _admin_add(env, env.cell_user, "pledges", "requirement", _requirement_form(env, period_from="2025-01-01",
                                                                               period_to="2025-12-31"))
    _admin_add(env, env.cell_user, "pledges", "aidflow", _flow_form(env, month="2024-02-01"))
    _admin_add(env, env.cell_user, "stockpiles", "stockpileguideline",
               _guideline_form(env, effective_from="2025-01-01"))
    return [(Nation, {"code": "FRA"}, env.cell_user, "+", None, None),
            (TrainingCommitment, {"programme": "Leopard 2 crew II"}, env.officer, "+", None, env.nations["POL"]),
            (Requirement, {"period_from": dt.date(2025, 1, 1)}, env.cell_user, "+", None, None),
            (AidFlow, {"month": dt.date(2024, 2, 1)}, env.cell_user, "+", None, None),
            (StockpileGuideline, {"effective_from": dt.date(2025, 1, 1)}, env.cell_user, "+", None, None)]


def admin_more_changes_and_deletes(env):
    item = env.item
    _admin_change(env, env.cell_user, "coordination", "item", item.pk, {
        "category": item.category_id, "name": item.name, "unit": item.unit, "nsn": "1320012345678",
        "unit_value_eur": "1000.00"})
    spare = factories.ItemFactory(name="Spare item")
    _admin_delete(env, env.cell_user, "coordination", "item", spare.pk)
    nation = factories.NationFactory(code="XKX", name="Kosovo test")
    _admin_delete(env, env.cell_user, "coordination", "nation", nation.pk)
    _admin_delete(env, env.cell_user, "pledges", "aidflow", env.flow.pk)
    return [(Item, {"id": item.pk}, env.cell_user, "~", {"nsn": ("", "1320012345678")}, None),
            (Item, {"id": spare.pk}, env.cell_user, "-", None, None),
            (Nation, {"id": nation.pk}, env.cell_user, "-", None, None),
            (AidFlow, {"id": env.flow.pk}, env.cell_user, "-", None, None)]


def api_more(env):
    cell, token = env.api_cell(), env.api_token()
    nation = _api(cell, "post", "/api/v1/nations/", {"code": "ITA", "name": "Italy", "role": "ally"})
    category = _api(cell, "post", "/api/v1/categories/", {"name": "Vehicles"})
    _api(cell, "patch", f"/api/v1/items/{env.item.pk}/", {"unit_value_eur": "1200.00"})
    requirement = _api(cell, "post", "/api/v1/requirements/", {
        "recipient": "UKR", "item": env.item.pk, "quantity": 5, "period_from": "2026-01-01", "period_to": "2026-02-01"})
    _api(cell, "patch", f"/api/v1/guidelines/{env.guideline.pk}/", {"minimum_quantity": 9})
    pledge = _api(token, "put", f"/api/v1/pledges/{env.pledge.pk}/", {
        "recipient": "UKR", "item": env.item.pk, "quantity": 950, "announced_on": "2024-01-15"})
    _api(token, "put", f"/api/v1/deliveries/{env.delivery.pk}/", {"quantity": 12})
    training = _api(token, "post", "/api/v1/training-commitments/", {
        "recipient": "UKR", "programme": "HIMARS crew", "trainees_committed": 6})
    _api(token, "put", f"/api/v1/training-commitments/{training['id']}/", {
        "recipient": "UKR", "programme": "HIMARS crew", "trainees_committed": 8})
    rate = _api(token, "post", "/api/v1/production-rates/", {"item": env.item.pk, "units_per_month": 3,
                                                             "effective_from": "2026-01-01"})
    return [(Nation, {"code": nation["code"]}, env.cell_user, "+", None, None),
            (Category, {"id": category["id"]}, env.cell_user, "+", None, None),
            (Item, {"id": env.item.pk}, env.cell_user, "~", {"unit_value_eur": (1000, 1200)}, None),
            (Requirement, {"id": requirement["id"]}, env.cell_user, "+", None, None),
            (StockpileGuideline, {"id": env.guideline.pk}, env.cell_user, "~", {"minimum_quantity": (10000, 9)}, None),
            (Pledge, {"id": pledge["id"], "allocated_quantity": 10}, "token", "~", {"quantity": (1000, 950)}, None),
            (Pledge, {"id": pledge["id"]}, "token", "~", {"allocated_quantity": (10, 12)}, None),
            (Delivery, {"id": env.delivery.pk}, "token", "~", {"quantity": (10, 12)}, None),
            (TrainingCommitment, {"id": training["id"], "history_type": "+"}, "token", "+", None, None),
            (TrainingCommitment, {"id": training["id"]}, "token", "~", {"trainees_committed": (6, 8)}, None),
            (ProductionRate, {"id": rate["id"]}, "token", "+", None, None)]


def import_more(env):
    c = env.cell_user
    _import(env, c, "coordination", "nation", "code,name,role,joined_on\nESP,Spain,ally,1982-05-30\n")
    _import(env, c, "coordination", "item", f"name,category,unit,nsn,unit_value_eur\nM113,{env.item.category.name},"
                                            "vehicles,,\n")
    _import(env, env.officer, "pledges", "trainingcommitment",
            "id,donor,recipient,programme,trainees_committed,trainees_completed,start_on,end_on,status,reference\n"
            ",POL,UKR,Engineer course,20,0,,,planned,\n")
    _import(env, c, "pledges", "aidflow",
            "nation,month,allocated_eur,military_eur,financial_eur,humanitarian_eur,committed_eur,to_be_allocated_eur,"
            "source\nPOL,2024-01-01,200,80,10,10,150,50,\n")
    g = env.guideline
    _import(env, c, "stockpiles", "stockpileguideline",
            f"id,item,nation,minimum_quantity,effective_from,effective_to\n{g.pk},{env.item.name},,11000,"
            f"{g.effective_from},\n")
    p = env.pledge
    _import(env, env.officer, "pledges", "pledge",
            "id,donor,recipient,item,quantity,value_eur,announced_on,due_on,source,status,releasability,reference,notes\n"
            f",POL,UKR,{env.item.name},60,,2024-02-01,,national_stock,announced,alliance,imported pledge,\n")
    _import(env, env.officer, "pledges", "delivery",
            f"id,pledge,quantity,status,shipped_on,delivered_on,reference\n{env.delivery.pk},{p.pk},10,in_transit,"
            "2024-03-01,,\n")
    return [(Nation, {"code": "ESP"}, c, "+", None, None),
            (Item, {"name": "M113"}, c, "+", None, None),
            (TrainingCommitment, {"programme": "Engineer course"}, env.officer, "+", None, env.nations["POL"]),
            (AidFlow, {"id": env.flow.pk}, c, "~", {"allocated_eur": (100, 200)}, None),
            (StockpileGuideline, {"id": g.pk}, c, "~", {"minimum_quantity": (10000, 11000)}, None),
            (Pledge, {"reference": "imported pledge"}, env.officer, "+", None, env.nations["POL"]),
            (Delivery, {"id": env.delivery.pk}, env.officer, "~", {"status": ("scheduled", "in_transit")},
             env.nations["POL"]),
            (Pledge, {"id": p.pk}, env.officer, "~", {"shipped_quantity": (0, 10)}, env.nations["POL"])]



def import_reference_updates(env):
    """Updates by import of the reference data (the key column finds the row). A category's only column is
    its key, so a category cannot be changed by import (an unchanged row is skipped)."""
    c = env.cell_user
    usa, item = env.nations["USA"], env.item
    _import(env, c, "coordination", "nation", "code,name,role,joined_on\nUSA,United States (imported),ally,"
                                              "1949-04-04\n")
    _import(env, c, "coordination", "item", f"name,category,unit,nsn,unit_value_eur\n{item.name},"
                                            f"{item.category.name},{item.unit},1320012345679,1000.00\n")
    return [(Nation, {"id": usa.pk}, c, "~", {"name": ("United States", "United States (imported)")}, None),
            (Item, {"id": item.pk}, c, "~", {"nsn": ("", "1320012345679")}, None)]


def import_training_change(env):
    t = env.training
    _import(env, env.officer, "pledges", "trainingcommitment",
            "id,donor,recipient,programme,trainees_committed,trainees_completed,start_on,end_on,status,reference\n"
            f"{t.pk},POL,UKR,{t.programme},{t.trainees_committed},7,,,{t.status},\n")
    return [(TrainingCommitment, {"id": t.pk}, env.officer, "~", {"trainees_completed": (0, 7)}, env.nations["POL"])]


def import_creates(env):
    """Creates by import: a requirement, an aid flow, a guideline, a production rate."""
    c = env.cell_user
    _import(env, c, "pledges", "requirement",
            f"id,recipient,item,quantity,period_from,period_to,priority,notes\n,UKR,{env.item.name},444,"
            "2027-01-01,2027-06-30,,imported\n")
    _import(env, c, "pledges", "aidflow",
            "nation,month,allocated_eur,military_eur,financial_eur,humanitarian_eur,committed_eur,to_be_allocated_eur,"
            "source\nPOL,2024-03-01,300,80,10,10,150,50,\n")
    _import(env, c, "stockpiles", "stockpileguideline",
            f"id,item,nation,minimum_quantity,effective_from,effective_to\n,{env.item.name},POL,555,2027-01-01,\n")
    _import(env, env.officer, "stockpiles", "productionrate",
            f"id,nation,item,units_per_month,effective_from,reference\n,POL,{env.item.name},666,2027-01-01,imported\n")
    return [(Requirement, {"quantity": 444}, c, "+", None, None),
            (AidFlow, {"month": dt.date(2024, 3, 1)}, c, "+", None, None),
            (StockpileGuideline, {"minimum_quantity": 555}, c, "+", None, None),
            (ProductionRate, {"units_per_month": 666}, env.officer, "+", None, env.nations["POL"])]


def import_memberships(env):
    newcomer = factories_user("imported-member")
    _import(env, env.cell_user, "coordination", "membership",
            f"user,nation,is_cell,language\n{newcomer.username},POL,0,en\n{env.officer.username},POL,0,fr\n")
    return [(Membership, {"user_id": newcomer.pk}, env.cell_user, "+", None, None),
            (Membership, {"id": env.officer.membership.pk}, env.cell_user, "~", {"language": ("en", "fr")}, None)]

# --- Dashboard ---

def dashboard_language(env):
    from web.dashboard.services import membership_set_language

    membership_set_language(user=env.officer, language="fr")
    return [(Membership, {"id": env.officer.membership.pk}, env.officer, "~", {"language": ("en", "fr")}, None)]


# --- Joint procurement: orders by a nation's token, agreements and participants by the cell ------------

def api_token_order_with_schedule(env):
    response = env.api_token().post("/api/v1/orders/", {
        "item": env.item.pk, "quantity": 500, "ordered_on": "2024-05-01", "reference": "POL-AUDIT",
        "schedule": [{"due_on": "2024-09-01", "quantity": 200}, {"due_on": "2024-12-01", "quantity": 300}],
    }, format="json")
    assert response.status_code == 201, response.json()
    order_id = response.json()["id"]
    pol = env.nations["POL"]
    return [(Order, {"id": order_id}, "token", "+", None, pol),
            (OrderScheduleLine, {"order_id": order_id, "due_on": dt.date(2024, 9, 1)}, "token", "+", None, pol),
            (OrderScheduleLine, {"order_id": order_id, "due_on": dt.date(2024, 12, 1)}, "token", "+", None, pol)]


def api_token_order_update(env):
    from stockpiles.procurement_services import order_create

    order = order_create(actor=CELL, nation=env.nations["POL"], item=env.item, quantity=500,
                         ordered_on=dt.date(2024, 5, 1), reference="POL-UPD")
    response = env.api_token().patch(f"/api/v1/orders/{order.pk}/", {"quantity": 650, "ordered_on": "2024-05-01"},
                                     format="json")
    assert response.status_code == 200, response.json()
    return [(Order, {"id": order.pk}, "token", "~", {"quantity": (500, 650)}, env.nations["POL"])]


def api_cell_agreement_and_participant(env):
    api = env.api_cell()
    response = api.post("/api/v1/agreements/", {
        "name": "155 mm framework (audit)", "lead_nation": "USA", "item": env.item.pk, "ceiling_quantity": 100_000,
        "valid_from": "2024-01-01"}, format="json")
    assert response.status_code == 201, response.json()
    agreement_id = response.json()["id"]
    response = api.post(f"/api/v1/agreements/{agreement_id}/participants/",
                        {"nation": "POL", "planned_quantity": 8000, "joined_on": "2024-06-01"}, format="json")
    assert response.status_code in (200, 201), response.json()
    return [(FrameworkAgreement, {"id": agreement_id}, env.cell_user, "+", None, None),
            (AgreementParticipant, {"agreement_id": agreement_id}, env.cell_user, "+", None, None)]


# --- Joint procurement in the admin and by import: the cell's reference records, a nation's orders -------

def _procurement(env):
    """A US manufacturer with a line, a POL-led agreement POL takes part in, a POL order with one line."""
    pol, usa = env.nations["POL"], env.nations["USA"]
    maker = factories.ManufacturerFactory(name="Audit Maker", nation=usa)
    line = factories.ProductionLineFactory(manufacturer=maker, item=env.item, name="Audit line")
    agreement = factories.FrameworkAgreementFactory(name="Audit FA", lead_nation=pol, item=env.item,
                                                    ceiling_quantity=50_000)
    participant = factories.AgreementParticipantFactory(agreement=agreement, nation=pol, planned_quantity=30_000)
    order = factories.OrderFactory(nation=pol, item=env.item, agreement=agreement, quantity=5000, reference="AUD-1")
    schedule = factories.OrderScheduleLineFactory(order=order, due_on=dt.date(2024, 6, 1), quantity=2000)
    return maker, line, agreement, participant, order, schedule


def _inline(prefix: str, rows=(), initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def _order_form(env, order, **overrides):
    return {"nation": order.nation_id, "item": order.item_id, "agreement": order.agreement_id or "",
            "manufacturer": "", "quantity": str(order.quantity), "unit_price_eur": "",
            "ordered_on": order.ordered_on.isoformat(), "status": order.status, "reference": order.reference,
            "notes": "", **_inline("schedule", initial=0), **overrides}


def admin_manufacturer_add_and_change(env):
    maker, *_ = _procurement(env)
    usa = env.nations["USA"]
    _admin_add(env, env.cell_user, "stockpiles", "manufacturer", {"name": "New Maker", "nation": usa.pk,
                                                                  "reference": ""})
    _admin_change(env, env.cell_user, "stockpiles", "manufacturer", maker.pk,
                  {"name": maker.name, "nation": usa.pk, "reference": "press release"})
    return [(Manufacturer, {"name": "New Maker"}, env.cell_user, "+", None, None),
            (Manufacturer, {"id": maker.pk}, env.cell_user, "~", {"reference": (maker.reference, "press release")},
             None)]


def admin_line_with_capacity_inline_and_delete(env):
    maker, line, *_ = _procurement(env)
    _admin_add(env, env.cell_user, "stockpiles", "productionline", {
        "manufacturer": maker.pk, "item": env.item.pk, "name": "Line B", "location": "Scranton", "reference": "",
        **_inline("rates", [{"units_per_month": "14000", "effective_from": "2023-01-01", "reference": "start"}])})
    new_line = ProductionLine.objects.get(name="Line B")
    _admin_delete(env, env.cell_user, "stockpiles", "productionline", line.pk)
    return [(ProductionLine, {"id": new_line.pk}, env.cell_user, "+", None, None),
            (ProductionRate, {"line_id": new_line.pk}, env.cell_user, "+", None, None),
            (ProductionLine, {"id": line.pk}, env.cell_user, "-", None, None)]


def admin_agreement_with_participant_inline_and_change(env):
    *_, agreement, participant, _order, _line = _procurement(env)
    pol, usa = env.nations["POL"], env.nations["USA"]
    fields = {"name": "Audit FA 2", "lead_nation": usa.pk, "item": env.item.pk, "manufacturer": "",
              "ceiling_quantity": "100000", "unit_price_eur": "", "valid_from": "2024-01-01", "valid_to": "",
              "reference": "", "notes": ""}
    _admin_add(env, env.cell_user, "stockpiles", "frameworkagreement", {**fields, **_inline("participants", [
        {"nation": pol.pk, "planned_quantity": "1000", "joined_on": "2024-02-01"}])})
    new = FrameworkAgreement.objects.get(name="Audit FA 2")
    _admin_change(env, env.cell_user, "stockpiles", "frameworkagreement", agreement.pk, {
        **fields, "name": agreement.name, "lead_nation": pol.pk, "ceiling_quantity": "60000",
        "valid_from": agreement.valid_from.isoformat(), **_inline("participants", initial=0)})
    _admin_change(env, env.cell_user, "stockpiles", "agreementparticipant", participant.pk, {
        "agreement": agreement.pk, "nation": pol.pk, "planned_quantity": "35000",
        "joined_on": participant.joined_on.isoformat()})
    return [(FrameworkAgreement, {"id": new.pk}, env.cell_user, "+", None, None),
            (AgreementParticipant, {"agreement_id": new.pk}, env.cell_user, "+", None, None),
            (FrameworkAgreement, {"id": agreement.pk}, env.cell_user, "~", {"ceiling_quantity": (50_000, 60_000)},
             None),
            (AgreementParticipant, {"id": participant.pk}, env.cell_user, "~",
             {"planned_quantity": (30_000, 35_000)}, None)]


def admin_order_by_the_nation_with_schedule_inline(env):
    *_, order, line = _procurement(env)
    pol = env.nations["POL"]
    _admin_add(env, env.officer, "stockpiles", "order", _order_form(env, order, reference="AUD-2", quantity="900",
                                                                     **_inline("schedule", [
                                                                         {"due_on": "2024-10-01", "quantity": "900"}])))
    new = Order.objects.get(reference="AUD-2")
    _admin_change(env, env.officer, "stockpiles", "order", order.pk, _order_form(env, order, quantity="6000"))
    _admin_change(env, env.officer, "stockpiles", "orderscheduleline", line.pk, {
        "order": order.pk, "due_on": "2024-06-01", "quantity": "2500", "received_on": ""})
    return [(Order, {"id": new.pk}, env.officer, "+", None, pol),
            (OrderScheduleLine, {"order_id": new.pk}, env.officer, "+", None, pol),
            (Order, {"id": order.pk}, env.officer, "~", {"quantity": (5000, 6000)}, pol),
            (OrderScheduleLine, {"id": line.pk}, env.officer, "~", {"quantity": (2000, 2500)}, pol)]


def admin_schedule_line_delete(env):
    *_, line = _procurement(env)
    _admin_delete(env, env.officer, "stockpiles", "orderscheduleline", line.pk)
    return [(OrderScheduleLine, {"id": line.pk}, env.officer, "-", None, env.nations["POL"])]


def import_procurement_reference_by_the_cell(env):
    maker, line, agreement, participant, *_ = _procurement(env)
    _import(env, env.cell_user, "stockpiles", "manufacturer", "id,name,nation,reference\n,Imported Maker,USA,\n")
    _import(env, env.cell_user, "stockpiles", "productionline",
            f"id,manufacturer,item,name,location,reference\n,Audit Maker,{env.item.name},Imported line,,\n"
            f"{line.pk},Audit Maker,{env.item.name},Audit line,Moved,\n")
    _import(env, env.cell_user, "stockpiles", "frameworkagreement",
            "id,name,lead_nation,item,manufacturer,ceiling_quantity,unit_price_eur,valid_from,valid_to,reference,notes\n"
            f",Imported FA,USA,{env.item.name},,70000,,2024-01-01,,,\n"
            f"{agreement.pk},Audit FA,POL,{env.item.name},,55000,,{agreement.valid_from},,,\n")
    _import(env, env.cell_user, "stockpiles", "agreementparticipant",
            "id,agreement,nation,planned_quantity,joined_on\n"
            f",Imported FA,POL,500,2024-03-01\n{participant.pk},Audit FA,POL,31000,{participant.joined_on}\n")
    imported_fa = FrameworkAgreement.objects.get(name="Imported FA")
    return [(Manufacturer, {"name": "Imported Maker"}, env.cell_user, "+", None, None),
            (ProductionLine, {"name": "Imported line"}, env.cell_user, "+", None, None),
            (ProductionLine, {"id": line.pk}, env.cell_user, "~", {"location": (line.location, "Moved")}, None),
            (FrameworkAgreement, {"id": imported_fa.pk}, env.cell_user, "+", None, None),
            (FrameworkAgreement, {"id": agreement.pk}, env.cell_user, "~", {"ceiling_quantity": (50_000, 55_000)},
             None),
            (AgreementParticipant, {"agreement_id": imported_fa.pk}, env.cell_user, "+", None, None),
            (AgreementParticipant, {"id": participant.pk}, env.cell_user, "~",
             {"planned_quantity": (30_000, 31_000)}, None)]


def import_orders_and_schedule_by_the_nation(env):
    *_, agreement, _participant, order, line = _procurement(env)
    pol = env.nations["POL"]
    head = "id,nation,item,agreement,manufacturer,quantity,unit_price_eur,ordered_on,status,reference,notes\n"
    _import(env, env.officer, "stockpiles", "order",
            head + f",POL,{env.item.name},,,800,,2024-05-01,placed,AUD-IMP,\n"
            f"{order.pk},POL,{env.item.name},Audit FA,,5500,,{order.ordered_on},{order.status},AUD-1,\n")
    _import(env, env.officer, "stockpiles", "orderscheduleline",
            f"id,order,due_on,quantity,received_on\n,{order.pk},2024-09-01,1000,\n{line.pk},{order.pk},2024-06-01,"
            "2000,2024-06-03\n")
    new = Order.objects.get(reference="AUD-IMP")
    return [(Order, {"id": new.pk}, env.officer, "+", None, pol),
            (Order, {"id": order.pk}, env.officer, "~", {"quantity": (5000, 5500)}, pol),
            (OrderScheduleLine, {"order_id": order.pk, "due_on": dt.date(2024, 9, 1)}, env.officer, "+", None, pol),
            (OrderScheduleLine, {"id": line.pk}, env.officer, "~", {"received_on": (None, dt.date(2024, 6, 3))}, pol)]


CASES = [
    admin_category_add, admin_category_change, admin_category_delete, admin_item_add, admin_nation_change,
    admin_pledge_add, admin_pledge_change, admin_pledge_inline_delivery, admin_delivery_add, admin_delivery_change,
    admin_stock_report_add, admin_guideline_change, admin_guideline_delete, admin_rate_add, admin_rate_change,
    admin_rate_delete, admin_training_change, admin_training_delete, admin_requirement_change,
    admin_requirement_delete, admin_aidflow_change, admin_membership_change, admin_membership_add_and_delete,
    admin_token_issue_and_revoke, admin_user_add, admin_user_change, admin_user_deactivate_and_delete,
    api_token_pledge_create, api_token_pledge_update, api_token_delivery_create, api_token_delivery_bulk,
    api_token_delivery_update, api_token_stock_report, api_token_stock_report_bulk, api_token_training,
    api_token_rate, api_cell_catalogue, api_cell_guideline_requirement,
    import_categories, import_pledge_change, import_deliveries_bulk, import_stock_reports_bulk, import_rate_change,
    import_requirement_change,
    dashboard_language,
    admin_more_adds, admin_more_changes_and_deletes, api_more, import_more,
    import_reference_updates, import_training_change, import_creates, import_memberships,
    api_token_order_with_schedule, api_token_order_update, api_cell_agreement_and_participant,
    admin_manufacturer_add_and_change, admin_line_with_capacity_inline_and_delete,
    admin_agreement_with_participant_inline_and_change, admin_order_by_the_nation_with_schedule_inline,
    admin_schedule_line_delete, import_procurement_reference_by_the_cell, import_orders_and_schedule_by_the_nation,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_write_path_leaves_an_attributed_history_row(env, case):
    since = timezone.now()
    expectations = case(env)
    assert expectations
    for model, filters, who, kind, changed, nation in expectations:
        check_row(latest(model, **filters), since=since, who=who, env=env, kind=kind, changed=changed, nation=nation)


# --- Commands and tasks ----------------------------------------------------------------------------

def test_load_demo_writes_history_for_every_record(db):
    """A command has no user: its rows are the system's (the audit page says so), each with its time."""
    since = timezone.now()
    call_command("load_demo", verbosity=0)
    for model in (Nation, Category, Item, Pledge, Delivery, TrainingCommitment, Requirement, StockReport,
                  StockpileGuideline, ProductionRate):
        rows = model.objects.count()
        assert rows, model
        ids_with_history = set(model.history.filter(history_date__gte=since).values_list("id", flat=True))
        assert set(model.objects.values_list("id", flat=True)) <= ids_with_history, model


def test_load_demo_history_rows_name_the_command(db):
    """Every history row load_demo writes names a writer: the command ("command: load_demo"), or, for the
    reference rows the scenario takes from a public source, that source (the row's own reason, kept)."""
    since = timezone.now()
    call_command("load_demo", verbosity=0, logins=True, stdout=io.StringIO())
    for model in (Nation, Category, Item, Pledge, Delivery, TrainingCommitment, Requirement, StockReport,
                  StockpileGuideline, ProductionRate, Membership, User):
        rows = model.history.filter(history_date__gte=since)
        assert rows.exists(), model
        assert not rows.filter(history_user__isnull=False).exists(), model
        reasons = set(rows.values_list("history_change_reason", flat=True))
        assert all(r == "command: load_demo" or r.startswith("command: load_demo; ") for r in reasons), (model, reasons)
        assert all(len(r) <= 100 for r in reasons)
    # the bulk writes (deliveries, stock reports, the pledges' totals) included
    assert {r.history_change_reason for r in Pledge.history.filter(history_type="~")} == {
        "command: load_demo; Delivery totals"}
    assert set(StockReport.history.values_list("history_change_reason", flat=True)) == {"command: load_demo"}
    assert "Illustrative demo data" in Item.history.first().history_change_reason  # a source's reason is kept


def test_issue_token_command_writes_history(nations):
    since = timezone.now()
    call_command("issue_token", nation="POL", name="cmd token", stdout=io.StringIO(), stderr=io.StringIO())

    token = ApiToken.objects.get(name="cmd token")
    record = token.history.get()
    assert (record.history_type, record.nation_id) == ("+", nations["POL"].pk)
    assert record.history_date >= since
    assert record.history_user is None and record.history_change_reason == "command: issue_token"


def test_ensure_local_admin_command_writes_history(db, settings):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    since = timezone.now()
    call_command("ensure_local_admin", username="local-admin", password="local-pw-1", stdout=io.StringIO())
    user = User.objects.get(username="local-admin")
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for record in (user.history.get(), Membership.history.get(user_id=user.pk), TOTPDevice.history.get(user_id=user.pk),
                   StaticDevice.history.get(user_id=user.pk, history_type="+")):
        assert record.history_type == "+" and since <= record.history_date <= timezone.now()
        assert record.history_user is None and record.history_change_reason == "command: ensure_local_admin"
    codes = StaticDevice.history.get(user_id=user.pk, history_type="~")
    assert codes.history_change_reason == "command: ensure_local_admin; recovery codes regenerated"
    call_command("ensure_local_admin", username="local-admin", password="local-pw-1", stdout=io.StringIO())
    assert user.history.count() == 1  # a second run changes nothing, and writes no history


def test_user_history_never_holds_the_password_hash_and_a_login_is_no_change(env):
    """The password and the last login are not tracked: no column for them in the history table, a
    password change is a change row without the hash, and a login writes no history row."""
    history_columns = {f.name for f in User.history.model._meta.get_fields()}
    assert {"username", "email", "is_active"} <= history_columns
    assert not {"password", "last_login"} & history_columns
    officer = env.officer
    before = officer.history.count()
    update_last_login(None, officer)  # what a login does (django.contrib.auth's user_logged_in receiver)
    officer.refresh_from_db()
    assert officer.last_login is not None
    assert officer.history.count() == before
    officer.set_password("another-pw-2")
    officer.save()
    assert officer.history.count() == before + 1


def test_tasks_record_their_alerts_and_change_no_other_historied_table(env, today):
    """The Celery tasks (drain and full recompute) write Shortfall (a cache of historied inputs, no
    history), ShortfallMark (the queue) and Alert: each alert raised or closed leaves a history row named
    "task: shortfall engine", without a user; no other historied table is touched by them."""
    from coordination.history import ENGINE_REASON
    from stockpiles import tasks
    from stockpiles.models import Alert, Shortfall

    pol = env.nations["POL"]
    stock_report_create(actor=CELL, nation=pol, item=env.item, quantity=1, as_of=today - dt.timedelta(days=1))
    historied = [Nation, Category, Item, Pledge, Delivery, TrainingCommitment, Requirement, StockReport,
                 StockpileGuideline, ProductionRate, AidFlow, Membership]
    before = {m: (m.history.count(), list(m.objects.order_by("pk").values())) for m in historied}
    since = timezone.now()
    tasks.recompute_marked_shortfalls.apply()
    tasks.recompute_all_shortfalls.apply()
    assert Shortfall.objects.exists()
    assert not hasattr(Shortfall, "history")
    after = {m: (m.history.count(), list(m.objects.order_by("pk").values())) for m in historied}
    assert after == before

    alert = Alert.objects.get(nation=pol, item=env.item, closed_at__isnull=True)
    [raised] = alert.history.all()
    assert (raised.history_type, raised.history_user, raised.history_change_reason) == ("+", None, ENGINE_REASON)
    assert since <= raised.history_date <= timezone.now()

    stock_report_create(actor=CELL, nation=pol, item=env.item, quantity=10**9, as_of=today)  # clears
    tasks.recompute_marked_shortfalls.apply()
    closed = alert.history.latest("history_date")
    assert (closed.history_type, closed.history_change_reason) == ("~", ENGINE_REASON)
    assert closed.prev_record == raised and closed.closed_at is not None and raised.closed_at is None

    page = env.admin(env.cell_user).get("/audit/", {"model": "alert", "nation": "POL"})
    assert [(r.who, r.action) for r in page.context["rows"]] == [
        ("task: shortfall engine", "changed"), ("task: shortfall engine", "created")]
    assert page.context["rows"][0].changes[0][0] == "closed_at"


def test_import_ust_command_writes_history_naming_its_source(db):
    """The tracker import: every row it writes has a history row, each giving the source as the reason
    (pledges through ``pledge_create(reason=...)``; their ``reference`` also names the tracker row)."""
    from loaders.ust import SOURCE
    from tests.data.ust_helpers import run_import

    since = timezone.now()
    run_import()
    for model in (Nation, Category, Item, Pledge, AidFlow):
        ids = set(model.objects.values_list("id", flat=True))
        assert ids, model
        reasons = dict(model.history.filter(history_date__gte=since).values_list("id", "history_change_reason"))
        assert ids <= set(reasons), model
        if model is Pledge:
            assert not Pledge.objects.exclude(reference__startswith="UST weapons.csv: ").exists()
        assert {reasons[i] for i in ids} == {SOURCE}, (model, {reasons[i] for i in ids})
