"""The sourcing planner's endpoints: headroom per ally and the proposed split for an item, and the
what-if of a draft pledge (writes nothing). Thin: the figures come from stockpiles.sourcing_selectors.
Rules: docs/sourcing.md."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from coordination.access import scope_for
from coordination.api.base import ApiView
from coordination.api.schema import ERRORS
from coordination.api.serializers import BIGINT_MAX, ItemRefField, NationCodeField, item_resolve
from coordination.models import Nation
from pledges.models import Pledge
from stockpiles import shortfalls, sourcing_selectors

EARLIEST = dt.date(1949, 4, 4)
READ_ERRORS = {k: v for k, v in ERRORS.items() if k in (400, 401, 403, 429)}


def date_not_future(value: dt.date) -> dt.date:
    if value > timezone.localdate():
        raise serializers.ValidationError("Pick today or a past date.")
    if value < EARLIEST:
        raise serializers.ValidationError("Pick a date after 1949-04-04.")
    return value


class SourcingQuerySerializer(serializers.Serializer):
    item = ItemRefField(help_text="The item: its id, or its NATO Stock Number.")
    quantity = serializers.IntegerField(
        required=False, min_value=1, max_value=BIGINT_MAX,
        help_text="The quantity to source; default: the recipients' uncovered requirement of the item.")
    as_of = serializers.DateField(required=False, validators=[date_not_future],
                                  help_text="Figures as they stood on this date (default: today).")


# --- Response shapes (for the schema; the view builds plain dicts) ------------------------------------

class ResultSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="ok, below_guideline, no_report or no_guideline.")
    on_hand = serializers.IntegerField(allow_null=True)
    owed = serializers.IntegerField()
    available = serializers.IntegerField(allow_null=True)
    guideline = serializers.IntegerField(allow_null=True)
    shortfall = serializers.IntegerField()
    coverage = serializers.FloatField(allow_null=True)
    rate = serializers.IntegerField(allow_null=True, help_text="Own production per month in force.")
    contracted_inflow = serializers.IntegerField(help_text="Scheduled order deliveries not yet received.")
    months_to_recover = serializers.IntegerField(allow_null=True)
    recovers_on = serializers.DateField(allow_null=True)


class HeadroomSerializer(ResultSerializer):
    nation = serializers.CharField()
    headroom_now = serializers.IntegerField(help_text="max(0, available − guideline) today.")
    headroom_by_month = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Headroom at months 0..horizon (dates in `months`): the most the nation can have given by then "
                  "without being below its guideline at any month.")
    earliest_on = serializers.DateField(allow_null=True, help_text="The first date it could give `need` "
                                                                   "(null: never at its current production and "
                                                                   "contracts).")
    earliest_month = serializers.IntegerField(allow_null=True)


class UnknownSerializer(ResultSerializer):
    nation = serializers.CharField()
    reason = serializers.CharField(help_text="no_report or no_guideline: headroom unknown, never counted as 0.")


class SplitLineSerializer(serializers.Serializer):
    nation = serializers.CharField()
    month = serializers.IntegerField()
    on = serializers.DateField()
    quantity = serializers.IntegerField()
    headroom = serializers.IntegerField(help_text="The nation's headroom at that month.")
    given_in_earlier_lines = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=["now", "production", "contracted", "production_and_contracted"])
    explanation = serializers.CharField()


class SplitSerializer(serializers.Serializer):
    need = serializers.IntegerField()
    covered = serializers.IntegerField()
    gap = serializers.IntegerField(help_text="Not covered within the horizon.")
    covered_on = serializers.DateField(allow_null=True, help_text="The date the need is fully covered (null: not "
                                                                  "within the horizon).")
    covered_month = serializers.IntegerField(allow_null=True)
    lines = SplitLineSerializer(many=True)


class SourcingSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    item_name = serializers.CharField()
    item_name_fr = serializers.CharField()
    unit = serializers.CharField()
    as_of = serializers.DateField()
    horizon_months = serializers.IntegerField()
    months = serializers.ListField(child=serializers.DateField())
    need = serializers.IntegerField()
    need_source = serializers.ChoiceField(choices=["quantity", "requirement"])
    headroom = HeadroomSerializer(many=True)
    unknown = UnknownSerializer(many=True)
    headroom_total_by_month = serializers.ListField(
        child=serializers.IntegerField(allow_null=True), allow_null=True,
        help_text="Σ headroom of every nation per month; for a nation, a month's total is null when too few "
                  "other nations have headroom in it.")
    headroom_total_suppressed = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(), allow_null=True), required=False,
        help_text="Per month: null when that month's total is shown, else why it is hidden: "
                  "{\"code\": few_nations | dominant | pinned | restricted | related, \"reason\": text} "
                  "(docs/disclosure.md). Empty for the cell.")
    split = SplitSerializer(allow_null=True)
    others_hidden = serializers.BooleanField(help_text="Other nations' rows are not shown to you.")
    split_suppressed = serializers.BooleanField(
        help_text="The split rests on too few other nations for you to see it without learning one nation's "
                  "figures.")


def _result(r: shortfalls.ShortfallResult) -> dict:
    return {"status": r.status, "on_hand": r.on_hand, "owed": r.owed, "available": r.available,
            "guideline": r.guideline, "shortfall": r.shortfall, "coverage": r.coverage, "rate": r.rate,
            "contracted_inflow": r.contracted_inflow, "months_to_recover": r.months_to_recover,
            "recovers_on": r.recovers_on}


def plan_payload(plan: sourcing_selectors.SourcingPlan) -> dict:
    split = plan.split
    return {
        "item": plan.item.pk, "item_name": plan.item.name, "item_name_fr": plan.item.name_fr,
        "unit": plan.item.unit, "as_of": plan.as_of,
        "horizon_months": plan.horizon, "months": plan.months, "need": plan.need, "need_source": plan.need_source,
        "headroom": [{
            "nation": row.nation.code, **_result(row.result), "headroom_now": row.headroom.now,
            "headroom_by_month": list(row.headroom.by_month), "earliest_on": row.headroom.earliest_on,
            "earliest_month": row.headroom.earliest_month,
        } for row in plan.rows],
        "unknown": [{"nation": row.nation.code, **_result(row.result), "reason": row.result.status}
                    for row in plan.unknown],
        "headroom_total_by_month": plan.totals_by_month,
        "headroom_total_suppressed": [None if code is None else {"code": code, "reason": note}
                                      for code, note in zip(plan.totals_reasons, plan.totals_notes, strict=True)],
        "split": None if split is None else {
            "need": split.need, "covered": split.covered, "gap": split.gap, "covered_on": split.covered_on,
            "covered_month": split.covered_month,
            "lines": [{"nation": pl.nation.code, "month": pl.line.month, "on": pl.line.on,
                       "quantity": pl.line.quantity, "headroom": pl.line.headroom,
                       "given_in_earlier_lines": pl.line.given_before, "reason": pl.line.reason,
                       "explanation": pl.explanation} for pl in plan.lines],
        },
        "others_hidden": plan.others_hidden, "split_suppressed": plan.split_suppressed,
    }


class SourcingView(ApiView):
    """Who can give how much of an item, when, without going below their stockpile guideline.

    Headroom per nation now and month by month over the horizon (the shortfall engine's projection: own
    production and contracted order schedules, minus what is owed), the earliest date each could give the
    need, nations without a report or a guideline apart (unknown, never 0), and a proposed split of the need
    that keeps every nation at or above its guideline at every month. The cell sees every nation; a nation
    sees its own headroom, and the split (its own lines and the totals) only when enough other nations are
    in it.
    """

    @extend_schema(parameters=[SourcingQuerySerializer], responses={200: SourcingSerializer, **READ_ERRORS})
    def get(self, request):
        query = SourcingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        v = query.validated_data
        item = item_resolve(v["item"])
        as_of = v.get("as_of")
        plan = sourcing_selectors.sourcing_plan(
            actor=request.user, item=item, quantity=v.get("quantity"),
            as_of=None if as_of is None or as_of >= timezone.localdate() else as_of)
        return Response(plan_payload(plan))


# --- What-if ---------------------------------------------------------------------------------------------

class WhatIfInSerializer(serializers.Serializer):
    donor = NationCodeField(queryset=Nation.objects.all(), slug_field="code", required=False,
                            help_text="The donor's code. A national client: its own (the default); the cell "
                                      "names it.")
    item = ItemRefField()
    quantity = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    source = serializers.ChoiceField(choices=Pledge.Source.choices, default=Pledge.Source.NATIONAL_STOCK)
    due_on = serializers.DateField(required=False, allow_null=True)
    recipient = NationCodeField(queryset=Nation.objects.filter(role=Nation.Role.RECIPIENT), slug_field="code",
                                required=False, help_text="Default: the recipient with a requirement of the item.")


class FiguresSerializer(serializers.Serializer):
    shortfall = serializers.IntegerField()
    coverage = serializers.FloatField(allow_null=True)
    available = serializers.IntegerField(allow_null=True)
    owed = serializers.IntegerField()
    status = serializers.CharField()
    months_to_recover = serializers.IntegerField(allow_null=True)
    recovers_on = serializers.DateField(allow_null=True)
    not_recovering = serializers.BooleanField()


class GapSerializer(serializers.Serializer):
    required = serializers.IntegerField()
    pledged = serializers.IntegerField()
    uncovered = serializers.IntegerField()


class WhatIfSerializer(serializers.Serializer):
    donor = serializers.CharField()
    item = serializers.IntegerField()
    quantity = serializers.IntegerField()
    source = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    counted_as_owed = serializers.BooleanField(help_text="Only a pledge from national stock is owed from the "
                                                         "donor's stock (the engine's rule).")
    donor_before = FiguresSerializer()
    donor_after = FiguresSerializer()
    drops_below_guideline = serializers.BooleanField()
    earliest_on = serializers.DateField(allow_null=True, help_text="The first date the donor could give this "
                                                                   "quantity without going below its guideline.")
    due_before_headroom = serializers.BooleanField()
    recipient = serializers.CharField(allow_null=True)
    recipient_before = GapSerializer(allow_null=True)
    recipient_after = GapSerializer(allow_null=True)


def _figures(r: shortfalls.ShortfallResult) -> dict:
    return {"shortfall": r.shortfall, "coverage": r.coverage, "available": r.available, "owed": r.owed,
            "status": r.status, "months_to_recover": r.months_to_recover, "recovers_on": r.recovers_on,
            "not_recovering": r.not_recovering}


def what_if_payload(view: sourcing_selectors.WhatIfView) -> dict:
    w = view.what_if

    def gap(g) -> dict:
        return {"required": g.required, "pledged": g.pledged, "uncovered": g.uncovered}

    return {
        "donor": view.donor.code, "item": view.item.pk, "quantity": w.draft.quantity, "source": view.source,
        "due_on": view.due_on, "counted_as_owed": view.counted_as_owed,
        "donor_before": _figures(w.before), "donor_after": _figures(w.after),
        "drops_below_guideline": w.drops_below, "earliest_on": w.earliest_on,
        "due_before_headroom": w.due_before_headroom,
        "recipient": view.recipient.code if view.recipient else None,
        "recipient_before": gap(view.gap.before) if view.gap else None,
        "recipient_after": gap(view.gap.after) if view.gap else None,
    }


class WhatIfView(ApiView):
    """What a draft pledge would do, before it is saved: the donor's shortfall, coverage and months to
    recover before and after, and the recipient's gap before and after. Writes nothing. A national client
    tries its own nation's pledges; the cell any donor's."""

    @extend_schema(request=WhatIfInSerializer, responses={200: WhatIfSerializer, **READ_ERRORS})
    def post(self, request):
        data = WhatIfInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        scope = scope_for(request.user)
        donor = v.get("donor")
        if scope.is_cell:
            if donor is None:
                raise serializers.ValidationError({"donor": ["The cell must name the donor (its code)."]})
        elif donor is not None and donor.pk != scope.nation_id:
            raise serializers.ValidationError({"donor": ["You may only try your own nation's pledges."]})
        else:
            donor = Nation(pk=scope.nation_id, code=scope.nation_code, role=scope.nation_role)
        item = item_resolve(v["item"])
        view = sourcing_selectors.sourcing_what_if(
            actor=request.user, donor=donor, item=item, quantity=v["quantity"], source=v["source"],
            due_on=v.get("due_on"), recipient=v.get("recipient"))
        return Response(what_if_payload(view))
