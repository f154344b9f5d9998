"""Pledge and delivery totals summed by the database, for the rules in ``pledges.fulfilment``.

The database groups by raw conditions (cancelled, delivered >= quantity, due before a day, valued)
and returns counts and sums; ``fulfilment.fulfilment_of_totals`` / ``delivery_value_of_totals``
decide what counts for what. EUR amounts are summed in whole cents (exact numeric on PostgreSQL,
64-bit integers on SQLite, never floats).

A delivered value (value × delivered / quantity, rounded to the cent by ``fulfilment.delivered_value``)
is summed here only where it is a whole number of cents (``Divides``, a grouping key: each row's product is
computed twice, not four times as a conditional sum and count would), so no rounding is involved; every
other row comes back on its own with its raw figures, and ``delivered_value`` rounds it in Python. Which
rows are whole does not change any result, only how many rows come back.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Least, TruncMonth

from pledges import fulfilment
from pledges.models import Delivery, Pledge

CENTS = Decimal(100)


class Cents(Func):
    """A EUR amount (two decimal places) in whole cents: exact numeric on PostgreSQL, an integer on
    SQLite (whose decimals are stored as floats; ``ROUND`` undoes their representation error)."""

    template = "(%(expressions)s * 100)"
    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="CAST(ROUND(%(expressions)s * 100) AS INTEGER)", **extra)


class _Division(Func):
    """numerator and denominator, each compiled once and placed by ``sql(n, d, vendor)``."""

    arity = 2

    def sql(self, n, d, vendor: str) -> str:
        raise NotImplementedError

    def as_sql(self, compiler, connection, **extra):
        (num, num_params), (den, den_params) = (compiler.compile(e) for e in self.get_source_expressions())
        parts: list[tuple] = []

        def n():
            parts.append(num_params)
            return f"({num})"

        def d():
            parts.append(den_params)
            return f"({den})"

        sql = self.sql(n, d, connection.vendor)
        return sql, [p for ps in parts for p in ps]


class Divides(_Division):
    """Whether the denominator is positive and divides the numerator (on SQLite: and the product did not
    overflow 64-bit integers, which SQLite silently turns into a float). A grouping key: summed rows of a class
    that divides need no rounding."""

    output_field = BooleanField()

    def sql(self, n, d, vendor):
        if vendor == "sqlite":
            return f"(CASE WHEN {d()} > 0 AND typeof({n()}) = 'integer' THEN {n()} %% {d()} = 0 ELSE 0 END)"
        return f"(CASE WHEN {d()} > 0 THEN MOD({n()}, {d()}) = 0 ELSE FALSE END)"


class Quotient(_Division):
    """numerator / denominator truncated (NULL for a zero denominator); whole only where ``Divides``."""

    output_field = BigIntegerField()

    def sql(self, n, d, vendor):
        if vendor == "sqlite":
            return f"({n()} / NULLIF({d()}, 0))"
        return f"DIV({n()}, NULLIF({d()}, 0))"


def _flag(q: Q) -> ExpressionWrapper:
    return ExpressionWrapper(q, output_field=BooleanField())


def _eur(cents) -> Decimal:
    return (Decimal(cents or 0) / CENTS).quantize(fulfilment.CENT)


def _value_cents(prefix: str = "") -> Coalesce:
    """The pledge's value in cents: stated, else quantity × the item's reference value (``fulfilment.pledge_value``)."""
    return Coalesce(Cents(F(f"{prefix}value_eur")),
                    Cents(F(f"{prefix}item__unit_value_eur")) * F(f"{prefix}quantity"))


def pledge_totals_by(qs: QuerySet[Pledge], *, on: dt.date, key: str | None, values: bool = True,
                     delivered: tuple[object, object] | None = None) -> list[tuple[object, fulfilment.PledgeTotals]]:
    """(key value, totals) per ``key`` (a field, e.g. ``donor_id``; None: one group) and class, with
    each pledge's stored delivered quantity (today's figures). ``delivered`` = (condition, expression): the
    pledges that match the condition take the expression as their delivered quantity instead (e.g. a
    correlated sum as of a past date), computed only on them: the two sets are summed apart in one statement
    (UNION ALL), as PostgreSQL evaluates a correlated expression once per reference on every row it is in.

    ``values=False``: counts and quantities only (every class unvalued), for the overdue figures.
    One query; one more per set whose delivered values need rounding, when there are any.
    """
    qs = qs.order_by()
    parts = [qs.annotate(_delivered=F("delivered_quantity"))]
    if delivered is not None:
        condition, expression = delivered
        parts = [qs.filter(~condition).annotate(_delivered=F("delivered_quantity")),
                 qs.filter(condition).annotate(_delivered=expression)]
    sums = {}
    valued = {}
    if values:
        share = (F("_value") * Least(F("_delivered"), F("quantity")), F("quantity"))
        parts = [part.annotate(_value=_value_cents()) for part in parts]
        sums = {"value": Sum("_value"), "share": Sum(Quotient(*share))}
        valued = {"_valued": _flag(Q(_value__isnull=False)), "_exact": Divides(*share)}
    flags = {
        "_cancelled": _flag(Q(status=Pledge.Status.CANCELLED)),
        "_complete": _flag(Q(_delivered__gte=F("quantity"))),
        "_due_before": _flag(Q(due_on__lt=on)),
    }
    # the sums' names are not fields': an annotation named ``quantity`` would be what ``F("quantity")`` in the
    # following ones refers to
    columns = ["_part", *(["_key"] if key is not None else []), *flags, *valued, "n", "pledged", "done", *sums]
    grouped = [part.values(_part=Value(i), **({} if key is None else {"_key": F(key)}), **flags, **valued).annotate(
        n=Count("pk"), pledged=Sum("quantity"), done=Sum("_delivered"), **sums,
    ).values_list(*columns) for i, part in enumerate(parts)]
    rows = [dict(zip(columns, r, strict=True))
            for r in (grouped[0].union(*grouped[1:], all=True) if len(grouped) > 1 else grouped[0])]
    out = [
        (r.get("_key"), fulfilment.PledgeTotals(
            cancelled=bool(r["_cancelled"]), complete=bool(r["_complete"]), due_before=bool(r["_due_before"]),
            valued=bool(r.get("_valued")), count=r["n"], quantity=int(r["pledged"] or 0),
            delivered=int(r["done"] or 0), value=_eur(r.get("value")),
            delivered_value=_eur(r["share"] if r.get("_exact") else 0),  # else: rounded pledge by pledge below
        ))
        for r in rows
    ]
    for i, part in enumerate(parts):
        if not any(r["_part"] == i and r.get("_valued") and not r["_exact"] for r in rows):
            continue  # no delivered value of this set needs rounding
        for r in part.alias(_exact=Divides(*share)).filter(_value__isnull=False, _exact=False).values(
            *([key] if key else []), **flags, pk_=F("pk"), q=F("quantity"), d=F("_delivered"), stated=F("value_eur"),
            unit=F("item__unit_value_eur"),
        ):
            pledge = fulfilment.PledgeFacts(pledge_id=r["pk_"], donor_id=0, recipient_id=0, item_id=0, quantity=r["q"],
                                            delivered=r["d"], value_eur=r["stated"], unit_value_eur=r["unit"])
            out.append((r[key] if key else None, fulfilment.PledgeTotals(
                cancelled=bool(r["_cancelled"]), complete=bool(r["_complete"]), due_before=bool(r["_due_before"]),
                valued=True, count=0, pledge=pledge,
            )))
    return out


def delivery_totals_by_month(qs: QuerySet[Delivery]) -> list[tuple[dt.date, fulfilment.DeliveryTotals]]:
    """(first day of the month of ``delivered_on``, totals) for delivered deliveries. One query; a second
    one reads the deliveries whose value needs rounding, when there are any."""
    qs = qs.order_by().annotate(_month=TruncMonth("delivered_on"), _value=_value_cents("pledge__"))
    share = (F("_value") * Least(F("quantity"), F("pledge__quantity")), F("pledge__quantity"))
    rows = qs.values("_month", _valued=_flag(Q(_value__isnull=False)), _exact=Divides(*share)).annotate(
        n=Count("pk"), delivered=Sum("quantity"), share=Sum(Quotient(*share)),  # not named as a field (above)
    )
    out = [
        (_date(r["_month"]), fulfilment.DeliveryTotals(
            valued=bool(r["_valued"]), count=r["n"], quantity=int(r["delivered"] or 0),
            value=_eur(r["share"] if r["_exact"] else 0),  # else: rounded delivery by delivery below
        ))
        for r in rows
    ]
    if any(r["_valued"] and not r["_exact"] for r in rows):  # some delivered value needs rounding
        for month, part, whole, stated, unit in qs.alias(_exact=Divides(*share)).filter(
                _value__isnull=False, _exact=False).values_list(
            "_month", "quantity", "pledge__quantity", "pledge__value_eur", "pledge__item__unit_value_eur",
        ):
            pledge = fulfilment.PledgeFacts(pledge_id=0, donor_id=0, recipient_id=0, item_id=0, quantity=whole,
                                            value_eur=stated, unit_value_eur=unit)
            out.append((_date(month), fulfilment.DeliveryTotals(valued=True, count=0, pledge=pledge, part=part)))
    return out


def _date(month) -> dt.date:
    return month.date() if isinstance(month, dt.datetime) else month
