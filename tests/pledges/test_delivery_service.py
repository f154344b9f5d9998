import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from coordination.access import CELL
from pledges.models import Delivery, Pledge
from pledges.services import delivery_create, delivery_update, pledge_update
from tests import factories
from tests.conftest import requires_postgres


@pytest.mark.django_db
def test_deliveries_cannot_exceed_pledge(nations, item):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=100)
    delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=60, status="delivered", delivered_on=dt.date(2024, 2, 1))
    with pytest.raises(ValidationError) as exc:
        delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=41)
    assert "Only 40 of the 100" in exc.value.message_dict["quantity"][0]
    delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=40, status="in_transit")
    pledge.refresh_from_db()
    assert (pledge.allocated_quantity, pledge.shipped_quantity, pledge.delivered_quantity) == (100, 100, 60)
    assert pledge.progress == Pledge.Progress.PARTIAL


@pytest.mark.django_db
def test_cancelling_a_delivery_frees_quantity_and_reduction_is_guarded(nations, item):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=100)
    d = delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=100)
    with pytest.raises(ValidationError):
        pledge_update(actor=CELL, pledge_id=pledge.pk, quantity=50)
    delivery_update(actor=CELL, delivery_id=d.pk, status=Delivery.Status.CANCELLED)
    pledge = pledge_update(actor=CELL, pledge_id=pledge.pk, quantity=50)
    assert pledge.allocated_quantity == 0
    assert [h.quantity for h in pledge.history.order_by("history_date")][-1] == 50


@pytest.mark.django_db
def test_database_refuses_over_allocation_even_without_the_service(nations, item):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Pledge.objects.filter(pk=pledge.pk).update(allocated_quantity=11)


@pytest.mark.django_db
def test_other_nation_cannot_deliver_against_a_pledge(nations, item, us_officer):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=10)
    with pytest.raises(ValidationError):
        delivery_create(actor=us_officer, pledge_id=pledge.pk, quantity=1)
    with pytest.raises(PermissionDenied):
        pledge_update(actor=us_officer, pledge_id=pledge.pk, quantity=1)
    assert not Delivery.objects.exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_writers_never_over_deliver(nations, item):
    """Two threads each deliver 60 against a 100 pledge at the same moment: exactly one wins."""
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=100)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer():
        try:
            barrier.wait()
            delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=60)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    pledge.refresh_from_db()
    assert pledge.allocated_quantity == 60
    assert Delivery.objects.filter(pledge=pledge).count() == 1


@pytest.mark.django_db
def test_bulk_deliveries_cost_no_queries_per_row(nations, item):
    """Validation of each row is done in Python: 5 rows and 60 rows take the same number of queries
    (60 stays within one insert batch even on SQLite, whose batches are bounded by its parameter limit)."""
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    from pledges.services import deliveries_bulk_create

    def run(n: int) -> int:
        pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=10_000)
        rows = [{"pledge_id": pledge.pk, "quantity": 1, "status": "in_transit", "shipped_on": dt.date(2024, 3, 1)}
                for _ in range(n)]
        with CaptureQueriesContext(conn) as ctx:
            deliveries_bulk_create(actor=CELL, rows=rows)
        pledge.refresh_from_db()
        assert pledge.shipped_quantity == n
        return len(ctx.captured_queries)

    assert run(5) == run(60)
