"""Reads for pledges and deliveries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Q, Sum

from pledges.models import Delivery


def shipped_by_pledge_as_of(*, pledge_ids: Sequence[int], as_of: dt.date) -> dict[int, int]:
    """Quantity shipped per pledge on a past date: non-cancelled deliveries shipped on or before it.

    A delivery counts as shipped on ``shipped_on`` (or ``delivered_on`` when no ship date was given).
    """
    if not pledge_ids:
        return {}
    rows = (
        Delivery.objects.filter(pledge_id__in=pledge_ids, status__in=Delivery.SHIPPED)
        .filter(Q(shipped_on__lte=as_of) | Q(shipped_on__isnull=True, delivered_on__lte=as_of))
        .values("pledge_id")
        .annotate(total=Sum("quantity"))
    )
    return {r["pledge_id"]: r["total"] for r in rows}
