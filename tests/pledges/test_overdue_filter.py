"""The pledge table's "overdue only" filter is the SQL form of ``fulfilment.is_overdue``: they must agree."""

import datetime as dt

import pytest
from django.utils import timezone

from pledges import fulfilment
from pledges.filtersets import PledgeFilterSet
from pledges.models import Pledge
from pledges.selectors import _FACT_FIELDS, _facts
from tests import factories


@pytest.mark.django_db
def test_overdue_filter_matches_the_fulfilment_rule(nations, item):
    today = timezone.localdate()
    past, future = today - dt.timedelta(days=10), today + dt.timedelta(days=10)
    cases = [
        # (due_on, quantity, delivered, status)
        (past, 100, 0, "committed"),       # overdue
        (past, 100, 60, "allocated"),      # overdue, partly delivered
        (past, 100, 100, "committed"),     # fully delivered: not overdue
        (past, 100, 0, "cancelled"),       # cancelled: not overdue
        (future, 100, 0, "committed"),     # not due yet
        (None, 100, 0, "announced"),       # no due date
        (today, 100, 0, "committed"),      # due today: not yet overdue
    ]
    for due_on, quantity, delivered, status in cases:
        factories.PledgeFactory(
            donor=nations["POL"], item=item, quantity=quantity, status=status,
            announced_on=today - dt.timedelta(days=30), due_on=due_on,
            allocated_quantity=delivered, shipped_quantity=delivered, delivered_quantity=delivered,
        )
    by_rule = {
        f.pledge_id
        for f in _facts(list(Pledge.objects.values(*_FACT_FIELDS)))
        if fulfilment.is_overdue(f, on=today)
    }

    def filtered(value: str) -> set[int]:
        return set(PledgeFilterSet({"overdue": value}, queryset=Pledge.objects.all()).qs.values_list("pk", flat=True))

    by_filter, not_filter = filtered("true"), filtered("false")
    assert len(by_rule) == 2
    assert by_filter == by_rule
    assert not_filter == set(Pledge.objects.values_list("pk", flat=True)) - by_rule
