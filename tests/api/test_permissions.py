"""The permission matrix: every endpoint × method × role, with the expected status and no change when refused."""

import datetime as dt

import pytest
from django.utils import timezone

from coordination.access import CELL
from coordination.models import Category, Item, Nation
from pledges.models import Delivery, Pledge, Requirement, TrainingCommitment
from pledges.services import delivery_create
from stockpiles.models import (
    Alert,
    CurrentStock,
    FrameworkAgreement,
    Order,
    OrderScheduleLine,
    ProductionRate,
    Shortfall,
    StockpileGuideline,
    StockReport,
)
from stockpiles.services import stock_report_create
from tests import factories
from tests.api.mixins import (
    CELL_ONLY_CREATE,
    CELL_ONLY_UPDATE,
    ApiViewTestCase,
    CreateTests,
    ReadOnlyTests,
    UpdateTests,
)

EVERYONE = {"cell": True, "pol": True, "usa": True}

pytestmark = pytest.mark.django_db


class TestStockReports(ApiViewTestCase, CreateTests):
    url = "/api/v1/stock-reports/"
    model = StockReport

    create_expect = {"cell": 201, "pol": 201, "usa": 400}  # USA's token naming POL: refused, not re-assigned
    created_for = {"cell": "POL", "pol": "POL"}

    @pytest.fixture
    def obj(self, nations, item):
        return stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=700,
                                   as_of=dt.date(2024, 1, 1))

    def create_body(self, obj):
        # "nation" names POL: the cell's choice; USA's token naming POL is refused (400), nothing written.
        return {"nation": "POL", "item": obj.item_id, "quantity": 5, "as_of": "2024-02-01"}

    def owner_code(self, instance):
        return instance.nation.code

    @pytest.mark.parametrize("role", ["cell", "pol", "usa"])
    def test_no_update_or_delete(self, role, roles, obj):
        assert roles[role].patch(f"{self.url}{obj.pk}/", {"quantity": 1}, format="json").status_code in (404, 405)
        assert roles[role].delete(f"{self.url}{obj.pk}/").status_code in (404, 405)
        obj.refresh_from_db()
        assert obj.quantity == 700


class TestPledges(ApiViewTestCase, CreateTests, UpdateTests):
    url = "/api/v1/pledges/"
    model = Pledge

    create_expect = {"cell": 201, "pol": 201, "usa": 400}  # USA's token naming POL: refused, not re-assigned
    created_for = {"cell": "POL", "pol": "POL"}

    @pytest.fixture
    def obj(self, nations, item):
        return factories.PledgeFactory(donor=nations["POL"], recipient=nations["UKR"], item=item,
                                       releasability="restricted", quantity=1000)

    def create_body(self, obj):
        return {"donor": "POL", "recipient": "UKR", "item": obj.item_id, "quantity": 10,
                "announced_on": "2024-01-01", "releasability": "alliance"}

    def owner_code(self, instance):
        return instance.donor.code

    def update_body(self, obj):
        return {"quantity": 900}


class TestDeliveries(ApiViewTestCase, CreateTests, UpdateTests):
    url = "/api/v1/deliveries/"
    model = Delivery
    create_expect = {"cell": 201, "pol": 201, "usa": 400}  # USA cannot deliver against POL's pledge
    created_for = {"cell": "POL", "pol": "POL"}

    @pytest.fixture
    def obj(self, nations, item):
        pledge = factories.PledgeFactory(donor=nations["POL"], recipient=nations["UKR"], item=item,
                                         releasability="restricted", quantity=1000)
        return delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=100)

    def create_body(self, obj):
        return {"pledge": obj.pledge_id, "quantity": 10}

    def owner_code(self, instance):
        return instance.pledge.donor.code

    def update_body(self, obj):
        return {"status": "in_transit", "shipped_on": "2024-03-01"}


class TestTrainingCommitments(ApiViewTestCase, CreateTests, UpdateTests):
    url = "/api/v1/training-commitments/"
    model = TrainingCommitment

    create_expect = {"cell": 201, "pol": 201, "usa": 400}  # USA's token naming POL: refused, not re-assigned
    created_for = {"cell": "POL", "pol": "POL"}

    @pytest.fixture
    def obj(self, nations):
        return factories.TrainingCommitmentFactory(donor=nations["POL"], recipient=nations["UKR"])

    def create_body(self, obj):
        return {"donor": "POL", "recipient": "UKR", "programme": "F-16 pilot", "trainees_committed": 12}

    def owner_code(self, instance):
        return instance.donor.code

    def update_body(self, obj):
        return {"trainees_completed": 5}


class TestCurrentStock(ApiViewTestCase, ReadOnlyTests):
    url = "/api/v1/current-stock/"
    model = CurrentStock

    @pytest.fixture
    def obj(self, nations, item):
        stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=700, as_of=dt.date(2024, 1, 1))
        return CurrentStock.objects.get(nation=nations["POL"], item=item)


class TestShortfalls(ApiViewTestCase, ReadOnlyTests):
    url = "/api/v1/shortfalls/"
    model = Shortfall

    @pytest.fixture
    def obj(self, nations, item):
        return Shortfall.objects.create(nation=nations["POL"], item=item, as_of=dt.date(2024, 1, 1), on_hand=10,
                                        guideline=100, owed=0, available=10, shortfall=90, coverage=0.1,
                                        status="below_guideline", computed_at=timezone.now())


class TestAlerts(ApiViewTestCase, ReadOnlyTests):
    url = "/api/v1/alerts/"
    model = Alert

    @pytest.fixture
    def obj(self, nations, item):
        return Alert.objects.create(kind="below_guideline", nation=nations["POL"], item=item, key="below:POL:1",
                                    message="POL below guideline", opened_at=timezone.now())


class TestProductionRates(ApiViewTestCase, CreateTests, UpdateTests):
    url = "/api/v1/production-rates/"
    model = ProductionRate

    create_expect = {"cell": 201, "pol": 201, "usa": 400}  # USA's token naming POL: refused, not re-assigned
    created_for = {"cell": "POL", "pol": "POL"}

    @pytest.fixture
    def obj(self, nations, item):
        return factories.ProductionRateFactory(nation=nations["POL"], item=item)

    def create_body(self, obj):
        return {"nation": "POL", "item": obj.item_id, "units_per_month": 80_000, "effective_from": "2024-06-01"}

    def owner_code(self, instance):
        return instance.nation.code

    def update_body(self, obj):
        return {"units_per_month": 14_000}


class TestNationalGuidelines(ApiViewTestCase, CreateTests, UpdateTests):
    url = "/api/v1/guidelines/"
    model = StockpileGuideline
    create_expect = CELL_ONLY_CREATE
    created_for = None
    update_expect = {"cell": 200, "pol": 403, "usa": 404}

    def create_body(self, obj):
        return {"nation": "POL", "item": obj.item_id, "minimum_quantity": 5, "effective_from": "2024-06-01"}

    def update_body(self, obj):
        return {"minimum_quantity": 20_000}

    @pytest.fixture
    def obj(self, nations, item):
        return factories.GuidelineFactory(nation=nations["POL"], item=item)


class TestAllianceGuidelines(ApiViewTestCase, CreateTests, UpdateTests):
    url = "/api/v1/guidelines/"
    model = StockpileGuideline
    sees_object = EVERYONE
    create_expect = CELL_ONLY_CREATE
    created_for = None
    update_expect = CELL_ONLY_UPDATE

    def create_body(self, obj):
        return {"item": obj.item_id, "minimum_quantity": 5, "effective_from": "2024-06-01"}

    def update_body(self, obj):
        return {"minimum_quantity": 20_000}

    @pytest.fixture
    def obj(self, nations, item):
        return factories.GuidelineFactory(nation=None, item=item)


class TestRequirements(ApiViewTestCase, CreateTests, UpdateTests):
    url = "/api/v1/requirements/"
    model = Requirement
    sees_object = EVERYONE
    # POL's and USA's tokens naming UKR as the recipient: refused on the field (400) before the access rule
    # (only the recipient states requirements: 403 without the field, tests/api/test_requirement_writes.py).
    create_expect = {"cell": 201, "pol": 400, "usa": 400}
    created_for = None
    update_expect = CELL_ONLY_UPDATE

    def create_body(self, obj):
        return {"recipient": "UKR", "item": obj.item_id, "quantity": 5, "period_from": "2025-01-01",
                "period_to": "2025-06-30"}

    def update_body(self, obj):
        return {"quantity": 20_000}

    @pytest.fixture
    def obj(self, nations, item):
        return factories.RequirementFactory(recipient=nations["UKR"], item=item)


class TestNations(ApiViewTestCase, CreateTests, UpdateTests):
    url = "/api/v1/nations/"
    model = Nation
    sees_object = EVERYONE
    create_expect = CELL_ONLY_CREATE
    created_for = None
    update_expect = CELL_ONLY_UPDATE
    lookup = "code"

    def create_body(self, obj):
        return {"code": "DEU", "name": "Germany", "role": "ally", "joined_on": "1955-05-06"}

    def update_body(self, obj):
        return {"joined_on": "1999-03-12"}

    @pytest.fixture
    def obj(self, nations):
        return nations["POL"]

    def object_id(self, obj):
        return obj.code


class TestItems(ApiViewTestCase, CreateTests, UpdateTests):
    url = "/api/v1/items/"
    model = Item
    sees_object = EVERYONE
    create_expect = CELL_ONLY_CREATE
    created_for = None
    update_expect = CELL_ONLY_UPDATE

    def create_body(self, obj):
        return {"category": obj.category_id, "name": "Patriot PAC-3 MSE", "unit": "missiles",
                "nsn": "1410015550001", "unit_value_eur": "4000000.00"}

    def update_body(self, obj):
        return {"nsn": "1320019990001"}

    @pytest.fixture
    def obj(self, item):
        return item


class TestCategories(ApiViewTestCase, CreateTests, UpdateTests):
    url = "/api/v1/categories/"
    model = Category
    sees_object = EVERYONE
    create_expect = CELL_ONLY_CREATE
    created_for = None
    update_expect = CELL_ONLY_UPDATE

    def create_body(self, obj):
        return {"name": "Air defence"}

    def update_body(self, obj):
        return {"name": "Artillery ammunition (155 mm)"}

    @pytest.fixture
    def obj(self, item):
        return item.category


class TestOrders(ApiViewTestCase, CreateTests, UpdateTests):
    """A nation's orders: own nation only (another nation's order is a 404), written by it and the cell."""

    url = "/api/v1/orders/"
    model = Order

    create_expect = {"cell": 201, "pol": 201, "usa": 400}  # USA's token naming POL: refused, not re-assigned
    created_for = {"cell": "POL", "pol": "POL"}

    @pytest.fixture
    def obj(self, nations, item):
        order = factories.OrderFactory(nation=nations["POL"], item=item, quantity=10_000)
        factories.OrderScheduleLineFactory(order=order, due_on=dt.date(2025, 1, 1), quantity=4000)
        return order

    def create_body(self, obj):
        # "nation" names POL: the cell's choice; USA's token naming POL is refused (400), nothing written.
        return {"nation": "POL", "item": obj.item_id, "quantity": 10, "ordered_on": "2024-02-01",
                "schedule": [{"due_on": "2024-06-01", "quantity": 5}, {"due_on": "2024-07-01", "quantity": 5}]}

    def owner_code(self, instance):
        return instance.nation.code

    def update_body(self, obj):
        return {"quantity": 9000}


class TestOrderScheduleLines(ApiViewTestCase, UpdateTests):
    url = "/api/v1/order-schedule-lines/"
    model = OrderScheduleLine

    @pytest.fixture
    def obj(self, nations, item):
        order = factories.OrderFactory(nation=nations["POL"], item=item, quantity=10_000,
                                       ordered_on=dt.date(2024, 1, 1))
        return factories.OrderScheduleLineFactory(order=order, due_on=dt.date(2024, 6, 1), quantity=4000)

    def update_body(self, obj):
        return {"received_on": "2024-06-03"}


class TestAgreements(ApiViewTestCase, CreateTests, UpdateTests):
    """An agreement led by Germany with Poland taking part: Poland (a participant) reads it and cannot
    change it (403); the United States (not a participant) gets a 404; only the cell writes."""

    url = "/api/v1/agreements/"
    model = FrameworkAgreement
    create_expect = CELL_ONLY_CREATE
    created_for = None
    update_expect = {"cell": 200, "pol": 403, "usa": 404}

    @pytest.fixture
    def obj(self, nations, item):
        germany = factories.NationFactory(code="DEU", name="Germany")
        agreement = factories.FrameworkAgreementFactory(lead_nation=germany, item=item, ceiling_quantity=100_000)
        factories.AgreementParticipantFactory(agreement=agreement, nation=nations["POL"], planned_quantity=40_000)
        return agreement

    def create_body(self, obj):
        return {"name": "155 mm joint buy II", "lead_nation": "POL", "item": obj.item_id, "ceiling_quantity": 5000,
                "unit_price_eur": "4500.00", "valid_from": "2024-01-01", "valid_to": "2027-12-31"}

    def update_body(self, obj):
        return {"ceiling_quantity": 120_000}

    @pytest.mark.parametrize("role", ["cell", "pol", "usa"])
    def test_record_a_participant(self, role, roles, obj, nations):
        before = snapshot_participants()
        response = roles[role].post(f"{self.url}{obj.pk}/participants/",
                                    {"nation": "USA", "planned_quantity": 5000, "joined_on": "2024-06-01"},
                                    format="json")
        assert response.status_code == {"cell": 201, "pol": 403, "usa": 404}[role], response.content
        if role == "cell":
            joined = {p["nation"]: p["joined_on"] for p in response.json()["participants"]}
            assert joined == {"POL": "2023-01-01", "USA": "2024-06-01"}
        else:
            assert snapshot_participants() == before


def snapshot_participants():
    from stockpiles.models import AgreementParticipant

    return sorted(AgreementParticipant.objects.values_list("agreement_id", "nation_id", "planned_quantity"))


@pytest.mark.parametrize("path", [
    "/api/v1/whoami/", "/api/v1/shortfalls/alliance/", "/api/v1/fulfilment/donors/", "/api/v1/fulfilment/items/",
    "/api/v1/fulfilment/gaps/", "/api/v1/training/summary/",
])
@pytest.mark.parametrize("role", ["cell", "pol", "usa", "anon", "expired", "revoked"])
def test_summary_endpoints(role, path, roles):
    expected = 401 if role in ("anon", "expired", "revoked") else 200
    assert roles[role].get(path).status_code == expected


def test_a_user_without_membership_sees_nothing(db):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    user = get_user_model().objects.create_user(username="nobody", password="pw-for-tests-1")
    client = APIClient()
    client.force_login(user)
    assert client.get("/api/v1/pledges/").status_code == 403
