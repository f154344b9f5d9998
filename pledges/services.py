"""Writes for pledges and deliveries. Deliveries lock their pledge row (pk order) so that the sum
of a pledge's non-cancelled deliveries never exceeds the pledged quantity, even under concurrency."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Sum, When
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from coordination.access import CHANGE
from coordination.history import save_with_reason
from coordination.services import (
    BulkValidationError,
    as_scope,
    clean_values,
    require_nation_access,
    validate_instance,
)
from coordination.text import grouped
from pledges import hooks
from pledges.models import Delivery, Pledge, TrainingCommitment

PLEDGE_FIELDS = (
    "donor", "recipient", "item", "quantity", "value_eur", "announced_on", "due_on", "source", "status",
    "releasability", "reference", "notes",
)
DELIVERY_FIELDS = ("quantity", "status", "shipped_on", "delivered_on", "reference")
BIGINT_MAX = 2**63 - 1


def _mark_pledge(pledge: Pledge, *, since: dt.date | None = None) -> None:
    """``since``: the input is dated then (a new pledge announced, a delivery shipped in the past): the
    donor's stored history is corrected from that date (docs/history.md)."""
    pair = (pledge.donor_id, pledge.item_id)
    hooks.shortfall_inputs_changed(pairs=[pair], history_from={pair: since} if since else None)


# --- Pledges -------------------------------------------------------------------------------------

def pledge_create(*, actor, user=None, reason: str | None = None, **fields) -> Pledge:
    """Create a pledge. ``reason``: the change reason on its history row (an import names its source)."""
    unknown = set(fields) - set(PLEDGE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown pledge fields: {sorted(unknown)}")
    pledge = Pledge(**fields)
    require_nation_access(actor, pledge.donor_id, what="pledges of another nation")
    validate_instance(pledge)
    with transaction.atomic():
        pledge._history_user = user if getattr(user, "pk", None) else None
        save_with_reason(pledge, reason)
        _mark_pledge(pledge, since=pledge.announced_on)
    return pledge


def pledge_update(*, actor, pledge_id: int, user=None, reason: str | None = None, **fields) -> Pledge:
    """Change a pledge. A reduction is recorded in its history; it may not drop below what is
    already scheduled in non-cancelled deliveries. ``reason``: as for ``pledge_create``."""
    unknown = set(fields) - set(PLEDGE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown pledge fields: {sorted(unknown)}")
    with transaction.atomic():
        pledge = Pledge.objects.restrict(actor, CHANGE).select_for_update().filter(pk=pledge_id).first()
        if pledge is None:
            raise PermissionDenied("You may not change this pledge, or it does not exist.")
        before = (pledge.donor_id, pledge.item_id)
        for name, value in fields.items():
            setattr(pledge, name, value)
        require_nation_access(actor, pledge.donor_id, what="pledges of another nation")
        errors = clean_values(pledge)  # typed values before comparing; validate_instance reports the rest
        if not errors and pledge.quantity is not None and pledge.quantity < pledge.allocated_quantity:
            raise ValidationError({"quantity": [
                _("%(n)s are already in non-cancelled deliveries; cancel deliveries before reducing the pledge "
                  "below that.") % {"n": grouped(pledge.allocated_quantity)}
            ]})
        validate_instance(pledge)
        pledge._history_user = user if getattr(user, "pk", None) else None
        save_with_reason(pledge, reason)
        hooks.shortfall_inputs_changed(pairs=[before, (pledge.donor_id, pledge.item_id)])
    return pledge


TOTALS = ("allocated_quantity", "shipped_quantity", "delivered_quantity")
TOTALS_REASON = "Delivery totals"


def _save_totals(pledges: Sequence[Pledge], *, user=None) -> None:
    """Store re-derived delivery totals with a history row per pledge, attributed to the delivery's writer.

    Without it a pledge's history snapshots keep stale totals, and the next person to edit the pledge
    would appear in its history as the one who changed them.
    """
    if pledges:
        bulk_update_with_history(list(pledges), Pledge, list(TOTALS), batch_size=2000,
                                 default_user=user if getattr(user, "pk", None) else None,
                                 default_change_reason=TOTALS_REASON)


def pledge_recount(*, pledge: Pledge, user=None) -> Pledge:
    """Re-derive a pledge's delivery totals from its deliveries (call with the pledge row locked);
    a change is kept in the pledge's history (``user`` as the writer)."""
    totals = Delivery.objects.filter(pledge=pledge).aggregate(
        allocated=Sum(Case(When(~Q(status=Delivery.Status.CANCELLED), then="quantity"),
                           default=0, output_field=IntegerField())),
        shipped=Sum(Case(When(status__in=Delivery.SHIPPED, then="quantity"), default=0,
                         output_field=IntegerField())),
        delivered=Sum(Case(When(status__in=Delivery.DELIVERED, then="quantity"), default=0,
                           output_field=IntegerField())),
    )
    new = (totals["allocated"] or 0, totals["shipped"] or 0, totals["delivered"] or 0)
    if new != tuple(getattr(pledge, name) for name in TOTALS):
        pledge.allocated_quantity, pledge.shipped_quantity, pledge.delivered_quantity = new
        _save_totals([pledge], user=user)
    return pledge


# --- Deliveries ----------------------------------------------------------------------------------

def _lock_pledges(actor, pledge_ids: Sequence[int]) -> dict[int, Pledge]:
    """Lock the pledges in primary-key order; only those the actor may write are returned."""
    return {
        p.pk: p
        for p in Pledge.objects.restrict(actor, CHANGE)
        .select_for_update()
        .filter(pk__in=set(pledge_ids))
        .order_by("pk")
    }


def _pledge_id(row: dict) -> int | None:
    """The row's pledge id if it can be one (a positive 64-bit integer); anything else finds no pledge."""
    value = row.get("pledge_id")
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= BIGINT_MAX:
        return value
    return None


def _delivery_counts(status: str) -> tuple[bool, bool, bool]:
    return (
        status != Delivery.Status.CANCELLED,
        status in Delivery.SHIPPED,
        status in Delivery.DELIVERED,
    )


def _check_delivery(delivery: Delivery, pledge: Pledge, *, already_allocated: int) -> dict[str, list[str]]:
    # Typed values first (NUL, surrogates, wrong types: the rule every service shares), then field checks
    # only: the table's check constraints are re-stated below in Python, because validating them through
    # the ORM costs a query each, per row of a bulk write.
    errors: dict[str, list[str]] = clean_values(delivery, exclude=["pledge"])
    try:
        delivery.full_clean(exclude=["pledge", *errors], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    if (isinstance(delivery.shipped_on, dt.date) and isinstance(delivery.delivered_on, dt.date)
            and delivery.delivered_on < delivery.shipped_on):
        errors.setdefault("delivered_on", []).append(_("The delivery date cannot be before the shipping date."))
    if pledge.status == Pledge.Status.CANCELLED and delivery.status != Delivery.Status.CANCELLED:
        errors.setdefault("pledge", []).append("The pledge is cancelled; no delivery can be recorded against it.")
    if isinstance(delivery.quantity, int) and delivery.status != Delivery.Status.CANCELLED:
        left = pledge.quantity - already_allocated
        if delivery.quantity > left:
            errors.setdefault("quantity", []).append(
                _("Only %(left)s of the %(pledged)s pledged are left to deliver on this pledge.")
                % {"left": grouped(max(left, 0)), "pledged": grouped(pledge.quantity)}
            )
    if delivery.status in Delivery.DELIVERED and delivery.delivered_on is None:
        errors.setdefault("delivered_on", []).append("Give the delivery date for a delivered delivery.")
    return {("non_field_errors" if k == "__all__" else k): v for k, v in errors.items()}


def delivery_create(*, actor, pledge_id: int, user=None, **fields) -> Delivery:
    try:
        return deliveries_bulk_create(actor=actor, rows=[{"pledge_id": pledge_id, **fields}], user=user)[0]
    except BulkValidationError as exc:
        raise ValidationError(exc.row_errors[0]) from None


def deliveries_bulk_create(*, actor, rows: Sequence[dict], user=None) -> list[Delivery]:
    """All or nothing. Each row: ``pledge_id`` and delivery fields. Errors per row index."""
    scope = as_scope(actor)
    history_user = user if getattr(user, "pk", None) else None
    with transaction.atomic():
        pledges = _lock_pledges(scope, [pk for r in rows if (pk := _pledge_id(r)) is not None])
        running = {pk: p.allocated_quantity for pk, p in pledges.items()}
        row_errors: dict[int, dict[str, list[str]]] = {}
        deliveries: list[Delivery] = []
        for index, row in enumerate(rows):
            pledge = pledges.get(_pledge_id(row))
            if pledge is None:
                row_errors[index] = {"pledge": ["Unknown pledge, or not one of your nation's pledges."]}
                continue
            unknown = set(row) - set(DELIVERY_FIELDS) - {"pledge_id"}
            if unknown:
                row_errors[index] = {name: ["Unknown field."] for name in sorted(unknown)}
                continue
            delivery = Delivery(pledge=pledge, **{k: v for k, v in row.items() if k != "pledge_id"})
            errors = _check_delivery(delivery, pledge, already_allocated=running[pledge.pk])
            if errors:
                row_errors[index] = errors
                continue
            if delivery.status != Delivery.Status.CANCELLED:
                running[pledge.pk] += delivery.quantity
            deliveries.append(delivery)
        if row_errors:
            raise BulkValidationError(row_errors)
        created = bulk_create_with_history(deliveries, Delivery, batch_size=2000, default_user=history_user)
        _apply_totals(pledges, created, user=history_user)
        earliest: dict[tuple[int, int], dt.date] = {}
        for d in created:  # shipped in the past: corrects the donor's history from that date
            pair = (pledges[d.pledge_id].donor_id, pledges[d.pledge_id].item_id)
            day = d.shipped_on or d.delivered_on
            if day is not None:
                earliest[pair] = min(earliest.get(pair, day), day)
        hooks.shortfall_inputs_changed(
            pairs=[(pledges[d.pledge_id].donor_id, pledges[d.pledge_id].item_id) for d in created],
            history_from=earliest,
        )
        hooks.deliveries_recorded(delivery_ids=[d.pk for d in created])
    return created


def _apply_totals(pledges: dict[int, Pledge], deliveries: Sequence[Delivery], *, user=None) -> None:
    delta: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for d in deliveries:
        counts = _delivery_counts(d.status)
        for k in range(3):
            delta[d.pledge_id][k] += d.quantity if counts[k] else 0
    changed = []
    for pk, (allocated, shipped, delivered) in delta.items():
        p = pledges[pk]
        p.allocated_quantity += allocated
        p.shipped_quantity += shipped
        p.delivered_quantity += delivered
        if allocated or shipped or delivered:
            changed.append(p)
    _save_totals(changed, user=user)


def delivery_update(*, actor, delivery_id: int, user=None, **fields) -> Delivery:
    unknown = set(fields) - set(DELIVERY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown delivery fields: {sorted(unknown)}")
    with transaction.atomic():
        visible = Delivery.objects.restrict(actor, CHANGE).filter(pk=delivery_id)
        pledge_id = visible.values_list("pledge_id", flat=True).first()
        if pledge_id is None:
            raise PermissionDenied("You may not change this delivery, or it does not exist.")
        pledge = _lock_pledges(actor, [pledge_id])[pledge_id]
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        old_allocated = delivery.quantity if delivery.status != Delivery.Status.CANCELLED else 0
        for name, value in fields.items():
            setattr(delivery, name, value)
        errors = _check_delivery(delivery, pledge, already_allocated=pledge.allocated_quantity - old_allocated)
        if errors:
            raise ValidationError(errors)
        delivery._history_user = user if getattr(user, "pk", None) else None
        delivery.save()
        pledge_recount(pledge=pledge, user=user)
        _mark_pledge(pledge, since=delivery.shipped_on or delivery.delivered_on)
        hooks.deliveries_recorded(delivery_ids=[delivery.pk])
    return delivery


# --- Training ------------------------------------------------------------------------------------

def training_commitment_save(*, actor, commitment: TrainingCommitment, user=None) -> TrainingCommitment:
    require_nation_access(actor, commitment.donor_id, what="another nation's training commitments")
    if commitment.pk:
        with transaction.atomic():
            if not TrainingCommitment.objects.restrict(actor, CHANGE).filter(pk=commitment.pk).exists():
                raise PermissionDenied("You may not change this training commitment.")
    validate_instance(commitment)
    commitment._history_user = user if getattr(user, "pk", None) else None
    commitment.save()
    return commitment


__all__ = [
    "pledge_create", "pledge_update", "pledge_recount", "delivery_create", "deliveries_bulk_create",
    "delivery_update", "training_commitment_save",
]
