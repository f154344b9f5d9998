"""factory_boy factories for the domain models (they write rows directly: for test set-up only)."""

import datetime as dt

import factory

from coordination.models import Category, Item, Nation
from pledges.models import Delivery, Pledge, Requirement, TrainingCommitment
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


class NationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Nation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: "Q" + chr(65 + (n // 26) % 26) + chr(65 + n % 26))
    name = factory.LazyAttribute(lambda o: f"Nation {o.code}")
    role = Nation.Role.ALLY


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = "Artillery ammunition"


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item
        django_get_or_create = ("name",)

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Item {n}")
    unit = Item.Unit.ROUNDS
    unit_value_eur = 1000


class PledgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pledge

    donor = factory.SubFactory(NationFactory)
    recipient = factory.SubFactory(NationFactory, code="UKR", name="Ukraine", role="recipient")
    item = factory.SubFactory(ItemFactory)
    quantity = 1000
    value_eur = 1_000_000
    announced_on = dt.date(2024, 1, 15)
    due_on = dt.date(2024, 6, 30)
    source = Pledge.Source.NATIONAL_STOCK
    status = Pledge.Status.COMMITTED
    releasability = "alliance"


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    pledge = factory.SubFactory(PledgeFactory)
    quantity = 100
    status = Delivery.Status.SCHEDULED


class TrainingCommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingCommitment

    donor = factory.SubFactory(NationFactory)
    recipient = factory.SubFactory(NationFactory, code="UKR", name="Ukraine", role="recipient")
    programme = "Leopard 2 crew"
    trainees_committed = 100


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    recipient = factory.SubFactory(NationFactory, code="UKR", name="Ukraine", role="recipient")
    item = factory.SubFactory(ItemFactory)
    quantity = 10000
    period_from = dt.date(2024, 1, 1)
    period_to = dt.date(2024, 12, 31)


class StockReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockReport

    nation = factory.SubFactory(NationFactory)
    item = factory.SubFactory(ItemFactory)
    quantity = 5000
    as_of = dt.date(2024, 1, 1)


class GuidelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockpileGuideline

    item = factory.SubFactory(ItemFactory)
    nation = None
    minimum_quantity = 10000
    effective_from = dt.date(2020, 1, 1)


class ProductionRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductionRate

    nation = factory.SubFactory(NationFactory)
    item = factory.SubFactory(ItemFactory)
    units_per_month = 1000
    effective_from = dt.date(2020, 1, 1)


class ManufacturerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Manufacturer
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Manufacturer {n}")
    nation = factory.SubFactory(NationFactory)


class ProductionLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductionLine

    manufacturer = factory.SubFactory(ManufacturerFactory)
    item = factory.SubFactory(ItemFactory)
    name = factory.Sequence(lambda n: f"Line {n}")


class LineRateFactory(factory.django.DjangoModelFactory):
    """A production line's capacity from a date (a ProductionRate row with ``line``)."""

    class Meta:
        model = ProductionRate

    line = factory.SubFactory(ProductionLineFactory)
    nation = factory.LazyAttribute(lambda o: o.line.manufacturer.nation)
    item = factory.LazyAttribute(lambda o: o.line.item)
    units_per_month = 1000
    effective_from = dt.date(2020, 1, 1)


class FrameworkAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FrameworkAgreement

    name = factory.Sequence(lambda n: f"Framework agreement {n}")
    lead_nation = factory.SubFactory(NationFactory)
    item = factory.SubFactory(ItemFactory)
    manufacturer = None
    ceiling_quantity = 100_000
    unit_price_eur = 5000
    valid_from = dt.date(2023, 1, 1)
    valid_to = dt.date(2030, 12, 31)


class AgreementParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementParticipant

    agreement = factory.SubFactory(FrameworkAgreementFactory)
    nation = factory.SubFactory(NationFactory)
    planned_quantity = 10_000
    joined_on = factory.LazyAttribute(lambda o: o.agreement.valid_from)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    nation = factory.SubFactory(NationFactory)
    item = factory.SubFactory(ItemFactory)
    agreement = None
    quantity = 10_000
    ordered_on = dt.date(2024, 1, 15)
    status = Order.Status.PLACED
    reference = factory.Sequence(lambda n: f"ORDER-{n}")


class OrderScheduleLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderScheduleLine

    order = factory.SubFactory(OrderFactory)
    due_on = factory.Sequence(lambda n: dt.date(2024, 2, 1) + dt.timedelta(days=n))
    quantity = 1000
