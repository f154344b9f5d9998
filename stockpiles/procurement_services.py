"""Writes for joint procurement: manufacturers, production lines, framework agreements, participants,
orders and their delivery schedules. Keyword-only; every caller (admin, API, import, demo) uses them.

Access: manufacturers, lines and agreements (with participants) are the cell's; an order and its
schedule are written by the ordering nation and the cell. A call-off locks its agreement row (and
the order row), in that order, so the ceiling holds under concurrent call-offs. Every order or
schedule write marks the (nation, item) pairs it touches for the shortfall recompute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from coordination.access import CHANGE
from coordination.services import record_save, require_cell, require_nation_access, validate_instance
from coordination.text import grouped
from stockpiles.engine import shortfall_mark_pairs
from stockpiles.models import (
    AgreementParticipant,
    FrameworkAgreement,
    Manufacturer,
    Order,
    OrderScheduleLine,
    ProductionLine,
    ProductionRate,
)
from stockpiles.services import production_rate_saved

AGREEMENT_FIELDS = (
    "name", "lead_nation", "item", "manufacturer", "ceiling_quantity", "unit_price_eur", "valid_from", "valid_to",
    "reference", "notes",
)
PARTICIPANT_FIELDS = ("planned_quantity", "joined_on")
ORDER_FIELDS = (
    "nation", "item", "agreement", "manufacturer", "quantity", "unit_price_eur", "ordered_on", "status", "reference",
    "notes",
)
SCHEDULE_FIELDS = ("due_on", "quantity", "received_on")


def _history_user(user):
    return user if getattr(user, "pk", None) else None


def _check_fields(fields: dict, allowed: Sequence[str], what: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown {what} fields: {sorted(unknown)}")


# --- Manufacturers, lines, line rates (reference data: the cell) --------------------------------

def manufacturer_save(*, actor, manufacturer: Manufacturer, user=None) -> Manufacturer:
    return record_save(actor=actor, obj=manufacturer, user=user, what="manufacturers")


def production_line_save(*, actor, line: ProductionLine, user=None) -> ProductionLine:
    return record_save(actor=actor, obj=line, user=user, what="production lines")


def production_line_rate_save(*, actor, rate: ProductionRate, user=None) -> ProductionRate:
    """A production line's capacity from a date. The cell only (a line is industrial reference data);
    the nation and item are the line's (``ProductionRate.clean`` refuses anything else)."""
    if rate.line_id is None:
        raise ValidationError({"line": ["Give the production line this capacity is for."]})
    require_cell(actor, what="production line capacities")
    if rate.nation_id is None or rate.item_id is None:
        line = ProductionLine.objects.select_related("manufacturer").get(pk=rate.line_id)
        rate.nation_id = rate.nation_id or line.manufacturer.nation_id
        rate.item_id = rate.item_id or line.item_id
    return record_save(actor=actor, obj=rate, user=user, what="production line capacities",
                       after=lambda r: production_rate_saved(rate=r))


def production_rate_save(*, actor, rate: ProductionRate, user=None) -> ProductionRate:
    """Any production rate: a line's capacity (cell) or a nation's own rate (that nation or the cell)."""
    if rate.line_id is not None:
        return production_line_rate_save(actor=actor, rate=rate, user=user)
    return record_save(actor=actor, obj=rate, user=user, owner_field="nation",
                       what="another nation's production rates", after=lambda r: production_rate_saved(rate=r))


# --- Framework agreements and participants (the cell) -------------------------------------------

def _ordered_under(agreement_id: int, *, exclude_order_id: int | None = None) -> int:
    qs = Order.objects.filter(agreement_id=agreement_id).exclude(status=Order.Status.CANCELLED)
    if exclude_order_id is not None:
        qs = qs.exclude(pk=exclude_order_id)
    return qs.aggregate(total=Sum("quantity"))["total"] or 0


def agreement_create(*, actor, user=None, **fields) -> FrameworkAgreement:
    _check_fields(fields, AGREEMENT_FIELDS, "agreement")
    require_cell(actor, what="framework agreements")
    agreement = FrameworkAgreement(**fields)
    with transaction.atomic():
        validate_instance(agreement)
        agreement._history_user = _history_user(user)
        agreement.save()
    return agreement


def agreement_update(*, actor, agreement_id: int, user=None, **fields) -> FrameworkAgreement:
    """Change an agreement (the cell). The ceiling may not drop below what is already called off, and
    the item may not change once there are orders under it."""
    _check_fields(fields, AGREEMENT_FIELDS, "agreement")
    require_cell(actor, what="framework agreements")
    with transaction.atomic():
        agreement = FrameworkAgreement.objects.select_for_update().filter(pk=agreement_id).first()
        if agreement is None:
            raise PermissionDenied("This framework agreement does not exist.")
        before_item = agreement.item_id
        for name, value in fields.items():
            setattr(agreement, name, value)
        errors: dict[str, list[str]] = {}
        orders = Order.objects.filter(agreement_id=agreement.pk)
        if agreement.item_id != before_item and orders.exists():
            errors["item"] = ["Orders are already placed under this agreement; its item cannot change."]
        ordered = _ordered_under(agreement.pk)
        if isinstance(agreement.ceiling_quantity, int) and agreement.ceiling_quantity < ordered:
            errors["ceiling_quantity"] = [
                _("%(n)s are already called off under this agreement; the ceiling cannot be lower.")
                % {"n": grouped(ordered)}
            ]
        if errors:
            raise ValidationError(errors)
        validate_instance(agreement)
        agreement._history_user = _history_user(user)
        agreement.save()
        affected = set(orders.exclude(status=Order.Status.CANCELLED).values_list("nation_id", "item_id"))
        shortfall_mark_pairs(pairs=affected)
    return agreement


def agreement_save(*, actor, agreement: FrameworkAgreement, user=None) -> FrameworkAgreement:
    """Create or change from an unsaved/edited instance (admin, import)."""
    values = {name: getattr(agreement, name) for name in AGREEMENT_FIELDS}
    if agreement.pk:
        return agreement_update(actor=actor, agreement_id=agreement.pk, user=user, **values)
    return agreement_create(actor=actor, user=user, **values)


def _check_participant(participant: AgreementParticipant, agreement: FrameworkAgreement) -> None:
    errors: dict[str, list[str]] = {}
    joined = participant.joined_on
    if isinstance(joined, dt.date):
        if joined < agreement.valid_from:
            errors["joined_on"] = [f"The agreement is valid from {agreement.valid_from.isoformat()}; a nation "
                                   "cannot join before that."]
        elif agreement.valid_to is not None and joined > agreement.valid_to:
            errors["joined_on"] = [f"The agreement ended on {agreement.valid_to.isoformat()}."]
    if errors:
        raise ValidationError(errors)


def participant_join(*, actor, agreement_id: int, nation, planned_quantity: int, joined_on: dt.date,
                     user=None) -> AgreementParticipant:
    """A nation joins an agreement (the cell records it), with its planned quantity and the day it joined."""
    require_cell(actor, what="framework agreement participants")
    with transaction.atomic():
        agreement = FrameworkAgreement.objects.select_for_update().filter(pk=agreement_id).first()
        if agreement is None:
            raise ValidationError({"agreement": ["Unknown framework agreement."]})
        participant = AgreementParticipant(agreement=agreement, nation=nation, planned_quantity=planned_quantity,
                                           joined_on=joined_on)
        validate_instance(participant)
        _check_participant(participant, agreement)
        participant._history_user = _history_user(user)
        participant.save()
    return participant


def participant_update(*, actor, participant_id: int, user=None, **fields) -> AgreementParticipant:
    """Change a participant's planned quantity or joining date. Its existing call-offs must still be on
    or after the joining date."""
    _check_fields(fields, PARTICIPANT_FIELDS, "participant")
    require_cell(actor, what="framework agreement participants")
    with transaction.atomic():
        participant = AgreementParticipant.objects.filter(pk=participant_id).first()
        if participant is None:
            raise PermissionDenied("This participant does not exist.")
        agreement = FrameworkAgreement.objects.select_for_update().get(pk=participant.agreement_id)
        participant = AgreementParticipant.objects.select_for_update().get(pk=participant_id)
        for name, value in fields.items():
            setattr(participant, name, value)
        validate_instance(participant)
        _check_participant(participant, agreement)
        earlier = (Order.objects.filter(agreement=agreement, nation_id=participant.nation_id,
                                        ordered_on__lt=participant.joined_on)
                   .exclude(status=Order.Status.CANCELLED).order_by("ordered_on").first())
        if earlier is not None:
            raise ValidationError({"joined_on": [
                f"{participant.nation.code} already called off on {earlier.ordered_on.isoformat()}; it cannot "
                "have joined later than that."
            ]})
        participant._history_user = _history_user(user)
        participant.save()
    return participant


def participant_save(*, actor, participant: AgreementParticipant, user=None) -> AgreementParticipant:
    """Create or change from an edited instance (admin inline, import)."""
    if participant.pk:
        return participant_update(actor=actor, participant_id=participant.pk, user=user,
                                  planned_quantity=participant.planned_quantity, joined_on=participant.joined_on)
    return participant_join(actor=actor, agreement_id=participant.agreement_id, nation=participant.nation,
                            planned_quantity=participant.planned_quantity, joined_on=participant.joined_on, user=user)


# --- Orders and their schedules (the ordering nation, or the cell) -------------------------------

def _check_order(order: Order, agreement: FrameworkAgreement | None, participant: AgreementParticipant | None,
                 *, ordered_before: int, scheduled: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    quantity = order.quantity if isinstance(order.quantity, int) else None
    if quantity is not None and scheduled > quantity:
        errors["quantity"] = [_("The delivery schedule already holds %(n)s; the order cannot be smaller.")
                              % {"n": grouped(scheduled)}]
    if agreement is None:
        return errors
    if order.item_id != agreement.item_id:
        errors["item"] = [f"A call-off under “{agreement.name}” is for its item ({agreement.item})."]
    ordered_on = order.ordered_on if isinstance(order.ordered_on, dt.date) else None
    if participant is None:
        errors["agreement"] = [f"{order.nation.code} is not a participant of “{agreement.name}”."]
    elif ordered_on is not None and ordered_on < participant.joined_on:
        errors["ordered_on"] = [f"{order.nation.code} joined “{agreement.name}” on "
                                f"{participant.joined_on.isoformat()}; a call-off cannot be earlier."]
    if ordered_on is not None and not agreement.in_force(ordered_on) and "ordered_on" not in errors:
        errors["ordered_on"] = [f"“{agreement.name}” is not in force on {ordered_on.isoformat()}."]
    if quantity is not None and order.status != Order.Status.CANCELLED:
        left = agreement.ceiling_quantity - ordered_before
        if quantity > left:
            errors["quantity"] = [_("Only %(left)s of the %(ceiling)s under “%(agreement)s” are left to call off.")
                                  % {"left": grouped(max(left, 0)), "ceiling": grouped(agreement.ceiling_quantity),
                                     "agreement": agreement.name}]
    return errors


def _lock_agreement(agreement_id: int | None) -> FrameworkAgreement | None:
    if agreement_id is None:
        return None
    return FrameworkAgreement.objects.select_for_update().filter(pk=agreement_id).first()


def _participant(agreement: FrameworkAgreement | None, nation_id: int | None) -> AgreementParticipant | None:
    if agreement is None or nation_id is None:
        return None
    return AgreementParticipant.objects.filter(agreement=agreement, nation_id=nation_id).first()


def _check_schedule_rows(rows: Sequence[dict], *, quantity: int | None) -> tuple[list[OrderScheduleLine], dict]:
    lines: list[OrderScheduleLine] = []
    errors: dict[str, list[str]] = {}
    seen: set[dt.date] = set()
    for index, row in enumerate(rows):
        _check_fields(row, SCHEDULE_FIELDS, "schedule line")
        line = OrderScheduleLine(**row)
        try:
            line.full_clean(exclude=["order"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors[f"schedule[{index}]"] = [f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()]
            continue
        if line.due_on in seen:
            errors[f"schedule[{index}]"] = ["Two schedule lines on the same day: merge them."]
        seen.add(line.due_on)
        lines.append(line)
    total = sum(line.quantity for line in lines)
    if quantity is not None and total > quantity:
        errors.setdefault("schedule", []).append(
            f"The delivery schedule adds up to {total}, more than the {quantity} ordered."
        )
    return lines, errors


def order_create(*, actor, schedule: Sequence[dict] = (), user=None, **fields) -> Order:
    """Place an order (a national contract, or a call-off under ``agreement``) with an optional delivery
    schedule of ``{"due_on", "quantity"[, "received_on"]}`` rows. All or nothing."""
    _check_fields(fields, ORDER_FIELDS, "order")
    order = Order(**fields)
    require_nation_access(actor, order.nation_id, what="another nation's orders")
    with transaction.atomic():
        agreement = _lock_agreement(order.agreement_id)
        if order.agreement_id is not None and agreement is None:
            raise ValidationError({"agreement": ["Unknown framework agreement."]})
        lines, errors = _check_schedule_rows(schedule, quantity=order.quantity if isinstance(order.quantity, int)
                                             else None)
        try:
            validate_instance(order)
        except ValidationError as exc:
            for k, v in exc.message_dict.items():
                errors.setdefault("non_field_errors" if k == "__all__" else k, []).extend(v)
        if order.nation_id is not None:
            errors.update({k: v for k, v in _check_order(
                order, agreement, _participant(agreement, order.nation_id),
                ordered_before=_ordered_under(agreement.pk) if agreement else 0, scheduled=0,
            ).items() if k not in errors})
        if errors:
            raise ValidationError(errors)
        order._history_user = _history_user(user)
        order.save()
        for line in lines:
            line.order = order
            line._history_user = _history_user(user)
            line.save()
        shortfall_mark_pairs(pairs=[(order.nation_id, order.item_id)])
    return order


def _lock_order(actor, order_id: int) -> tuple[Order, FrameworkAgreement | None]:
    """Lock an order the actor may write, its agreement first (the same order as a new call-off)."""
    visible = Order.objects.restrict(actor, CHANGE).filter(pk=order_id).values_list("agreement_id", flat=True)
    found = list(visible)
    if not found:
        raise PermissionDenied("You may not change this order, or it does not exist.")
    agreement = _lock_agreement(found[0])
    order = Order.objects.select_for_update().select_related("nation", "item").get(pk=order_id)
    return order, agreement


def _scheduled_total(order_id: int, *, exclude_line_id: int | None = None) -> int:
    qs = OrderScheduleLine.objects.filter(order_id=order_id)
    if exclude_line_id is not None:
        qs = qs.exclude(pk=exclude_line_id)
    return qs.aggregate(total=Sum("quantity"))["total"] or 0


def order_update(*, actor, order_id: int, user=None, **fields) -> Order:
    """Change an order (its nation or the cell): quantity not below its schedule, call-off rules re-checked."""
    _check_fields(fields, ORDER_FIELDS, "order")
    with transaction.atomic():
        order, agreement = _lock_order(actor, order_id)
        before = (order.nation_id, order.item_id)
        for name, value in fields.items():
            setattr(order, name, value)
        require_nation_access(actor, order.nation_id, what="another nation's orders")
        if order.agreement_id != (agreement.pk if agreement else None):
            agreement = _lock_agreement(order.agreement_id)
            if order.agreement_id is not None and agreement is None:
                raise ValidationError({"agreement": ["Unknown framework agreement."]})
        validate_instance(order)
        before_ordered = _ordered_under(agreement.pk, exclude_order_id=order.pk) if agreement else 0
        errors = _check_order(order, agreement, _participant(agreement, order.nation_id),
                              ordered_before=before_ordered, scheduled=_scheduled_total(order.pk))
        if errors:
            raise ValidationError(errors)
        order._history_user = _history_user(user)
        order.save()
        shortfall_mark_pairs(pairs=[before, (order.nation_id, order.item_id)])
    return order


def order_save(*, actor, order: Order, user=None) -> Order:
    """Create or change from an edited instance (admin, import)."""
    values = {name: getattr(order, name) for name in ORDER_FIELDS}
    if order.pk:
        return order_update(actor=actor, order_id=order.pk, user=user, **values)
    return order_create(actor=actor, user=user, **values)


def schedule_line_create(*, actor, order_id: int, due_on: dt.date, quantity: int, received_on: dt.date | None = None,
                         user=None) -> OrderScheduleLine:
    """Add a delivery schedule line; the schedule may not exceed the ordered quantity."""
    with transaction.atomic():
        order, _unused = _lock_order(actor, order_id)
        line = OrderScheduleLine(order=order, due_on=due_on, quantity=quantity, received_on=received_on)
        _validate_line(line, order, others=_scheduled_total(order.pk))
        line._history_user = _history_user(user)
        line.save()
        shortfall_mark_pairs(pairs=[(order.nation_id, order.item_id)])
    return line


def schedule_line_update(*, actor, line_id: int, user=None, **fields) -> OrderScheduleLine:
    """Change a schedule line (e.g. set ``received_on`` when it arrived: it then leaves the projection,
    and the nation's next stock report carries it)."""
    _check_fields(fields, SCHEDULE_FIELDS, "schedule line")
    with transaction.atomic():
        order_id = (OrderScheduleLine.objects.restrict(actor, CHANGE).filter(pk=line_id)
                    .values_list("order_id", flat=True).first())
        if order_id is None:
            raise PermissionDenied("You may not change this schedule line, or it does not exist.")
        order, _unused = _lock_order(actor, order_id)
        line = OrderScheduleLine.objects.select_for_update().get(pk=line_id)
        for name, value in fields.items():
            setattr(line, name, value)
        _validate_line(line, order, others=_scheduled_total(order.pk, exclude_line_id=line.pk))
        line._history_user = _history_user(user)
        line.save()
        shortfall_mark_pairs(pairs=[(order.nation_id, order.item_id)])
    return line


def schedule_line_delete(*, actor, line_id: int, user=None) -> None:
    with transaction.atomic():
        order_id = (OrderScheduleLine.objects.restrict(actor, CHANGE).filter(pk=line_id)
                    .values_list("order_id", flat=True).first())
        if order_id is None:
            raise PermissionDenied("You may not change this schedule line, or it does not exist.")
        order, _unused = _lock_order(actor, order_id)
        line = OrderScheduleLine.objects.get(pk=line_id)
        line._history_user = _history_user(user)
        line.delete()
        shortfall_mark_pairs(pairs=[(order.nation_id, order.item_id)])


def _validate_line(line: OrderScheduleLine, order: Order, *, others: int) -> None:
    validate_instance(line)
    errors: dict[str, list[str]] = {}
    if isinstance(line.quantity, int) and others + line.quantity > order.quantity:
        errors["quantity"] = [_("Only %(left)s of the %(ordered)s ordered are left to schedule on this order.")
                              % {"left": grouped(max(order.quantity - others, 0)), "ordered": grouped(order.quantity)}]
    if line.received_on is not None and line.received_on < order.ordered_on:
        errors["received_on"] = ["A line cannot be received before the order was placed."]
    if errors:
        raise ValidationError(errors)


def schedule_save(*, actor, line: OrderScheduleLine, user=None) -> OrderScheduleLine:
    """Create or change from an edited instance (admin inline, import)."""
    values = {name: getattr(line, name) for name in SCHEDULE_FIELDS}
    if line.pk:
        return schedule_line_update(actor=actor, line_id=line.pk, user=user, **values)
    return schedule_line_create(actor=actor, order_id=line.order_id, user=user, **values)


__all__ = [
    "manufacturer_save", "production_line_save", "production_line_rate_save", "production_rate_save",
    "agreement_create", "agreement_update", "agreement_save", "participant_join", "participant_update",
    "participant_save",
    "order_create", "order_update", "order_save", "schedule_line_create", "schedule_line_update",
    "schedule_line_delete", "schedule_save",
]
