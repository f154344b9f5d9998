"""The audit trail, read-only, for the cell: every history row of every domain model in one list.

The rows come from django-simple-history's tables (one per model), merged with one UNION ALL query,
newest first. For each page (or each export chunk) the full history rows and their predecessors are
fetched per model in two queries, and ``diff_against`` gives what changed (old → new). The number of
queries is fixed per page whatever the data size: count, page, 2 per model present, users, nations,
items (nation and item ids in the changes are shown as their code and name).

Who wrote a row: ``history_user`` (dashboard, admin, a user's API session), or, for a national
system's token, the ``history_change_reason`` the API stamps ("API token #<id> '<name>' (<nation>)";
see ``coordination.api.attribution``), or the command or background task that wrote it ("command:
load_demo", "task: shortfall engine"; see ``coordination.history``). None of these → a system write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination.history import COMMAND_PREFIX, TASK_PREFIX
from coordination.models import ApiToken, Category, Item, Membership, Nation
from coordination.names import name_fields, name_of
from coordination.text import grouped
from pledges.models import AidFlow, Delivery, Pledge, Requirement, TrainingCommitment
from stockpiles.models import (
    AgreementParticipant,
    Alert,
    FrameworkAgreement,
    Manufacturer,
    Order,
    OrderScheduleLine,
    ProductionLine,
    ProductionRate,
    StockpileGuideline,
    StockReport,
)


@dataclass(frozen=True)
class Spec:
    """One audited model: its key in filters, and where its nation is (None: reference data)."""

    key: str
    model: type[models.Model]
    nation_fields: tuple[str, ...]  # Q on any of these *_id fields means "concerns that nation"
    by_membership: bool = False  # accounts: the nation of the user's membership (today's, not at the time)
    user_field: str = "id"  # with by_membership: the column holding the user's id
    title: str | None = None

    @property
    def label(self) -> str:
        return str(self.title or self.model._meta.verbose_name).capitalize()

    @property
    def history(self):
        return self.model.history.model


SPECS: tuple[Spec, ...] = (
    Spec("pledge", Pledge, ("donor_id", "recipient_id")),
    Spec("delivery", Delivery, ("pledge__donor_id", "pledge__recipient_id")),
    Spec("training", TrainingCommitment, ("donor_id", "recipient_id")),
    Spec("requirement", Requirement, ("recipient_id",)),
    Spec("aidflow", AidFlow, ("nation_id",)),
    Spec("stockreport", StockReport, ("nation_id",)),
    Spec("guideline", StockpileGuideline, ("nation_id",)),
    Spec("productionrate", ProductionRate, ("nation_id",)),
    Spec("manufacturer", Manufacturer, ("nation_id",)),
    Spec("productionline", ProductionLine, ("manufacturer__nation_id",)),
    Spec("agreement", FrameworkAgreement, ("lead_nation_id",)),
    Spec("participant", AgreementParticipant, ("nation_id", "agreement__lead_nation_id")),
    Spec("order", Order, ("nation_id",)),
    Spec("scheduleline", OrderScheduleLine, ("order__nation_id",)),
    Spec("alert", Alert, ("nation_id",)),  # raised and closed by the shortfall engine (a background task)
    Spec("nation", Nation, ("id",)),
    Spec("category", Category, ()),
    Spec("item", Item, ()),
    Spec("membership", Membership, ("nation_id",)),
    Spec("apitoken", ApiToken, ("nation_id",)),
    Spec("user", get_user_model(), (), by_membership=True),  # accounts (no password hash, no last login)
    # Two-factor devices (no secret, no per-login bookkeeping; see coordination.models).
    Spec("otp_app", TOTPDevice, (), by_membership=True, user_field="user_id", title=_("two-factor app")),
    Spec("otp_recovery", StaticDevice, (), by_membership=True, user_field="user_id",
         title=_("two-factor recovery codes")),
)
BY_KEY = {s.key: s for s in SPECS}
BY_HISTORY = {s.history: s for s in SPECS}
ACTIONS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}
HIDDEN_FIELDS = {"key_hash"}  # never shown, not even as "changed"
CREATED_SKIP = HIDDEN_FIELDS | {"id"}


class AuditFilterSet(django_filters.FilterSet):
    """Filters for the audit list (and its CSV). Validated once; applied to each model's history table."""

    nation = django_filters.ModelChoiceFilter(queryset=Nation.objects.order_by("code"), to_field_name="code",
                                              method="filter_nation", label=_("Nation"))
    model = django_filters.ChoiceFilter(choices=[(s.key, s.label) for s in SPECS], method="filter_model",
                                        label=_("Record type"))
    user = django_filters.CharFilter(method="filter_user", label=_("User or token name"))
    date_from = django_filters.DateFilter(field_name="history_date", lookup_expr="date__gte", label=_("From"),
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(field_name="history_date", lookup_expr="date__lte", label=_("To"),
                                        widget=forms.DateInput(attrs={"type": "date"}))

    @staticmethod
    def _spec(queryset) -> Spec:
        return BY_HISTORY[queryset.model]

    def filter_nation(self, queryset, name, value):
        spec = self._spec(queryset)
        if spec.by_membership:
            members = Membership.objects.filter(nation_id=value.pk).values("user_id")
            return queryset.filter(**{f"{spec.user_field}__in": members})
        fields = spec.nation_fields
        if not fields:
            return queryset.none()
        q = Q()
        for field in fields:
            q |= Q(**{field: value.pk})
        return queryset.filter(q)

    def filter_model(self, queryset, name, value):
        return queryset if self._spec(queryset).key == value else queryset.none()

    def filter_user(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(history_user__username=value) | Q(history_change_reason__icontains=f"'{value}'"))


def audit_queryset(filterset: AuditFilterSet):
    """All matching history rows, newest first, as dicts (one UNION ALL query)."""
    parts = []
    for spec in SPECS:
        qs = spec.model.history.all()
        if filterset.is_bound and filterset.is_valid():
            qs = filterset.filter_queryset(qs)
        if spec.by_membership:
            nation = Subquery(Membership.objects.filter(user_id=OuterRef(spec.user_field)).values("nation_id")[:1],
                              output_field=models.BigIntegerField())
        elif spec.nation_fields:
            nation = F(spec.nation_fields[0])
        else:
            nation = Value(None, output_field=models.BigIntegerField())
        parts.append(
            qs.order_by().annotate(model_key=Value(spec.key, output_field=models.CharField()), nation_ref=nation)
            .values("history_id", "history_date", "history_type", "history_user_id", "history_change_reason",
                    "id", "model_key", "nation_ref")
        )
    return parts[0].union(*parts[1:], all=True).order_by("-history_date", "-history_id")


@dataclass
class AuditRow:
    when: dt.datetime
    model: str
    object_id: int
    object_label: str
    action: str
    who: str
    nation: str
    changes: list[tuple[str, str, str]]  # (field, old, new): raw, as in the CSV
    shown: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # (label, old, new) for people

    @property
    def changes_text(self) -> str:
        return "; ".join(f"{f}: {o} → {n}" if o != "" or self.action != ACTIONS["+"] else f"{f}: {n}"
                         for f, o, n in self.changes)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def enrich(rows: Iterable[dict]) -> list[AuditRow]:
    """History rows (dicts from ``audit_queryset``) → display rows with who, nation and the changes.

    Queries: per model present, its history rows with their predecessors (1); users; nations; items.
    """
    rows = list(rows)
    by_model: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_model[row["model_key"]].append(row)
    full: dict[tuple[str, int], object] = {}
    previous: dict[tuple[str, int], object] = {}
    for key, group in by_model.items():
        history = BY_KEY[key].model.history
        latest = max(g["history_date"] for g in group)
        earlier = defaultdict(list)
        # the rows shown and every earlier row of the same objects (a shown row is one of them: same id, not later)
        candidates = (history.filter(id__in={g["id"] for g in group}, history_date__lte=latest)
                      .order_by("id", "history_date", "history_id"))
        shown = {g["history_id"] for g in group}
        for r in candidates:
            earlier[r.id].append(r)
            if r.history_id in shown:
                full[(key, r.history_id)] = r
        for g in group:
            chain = earlier[g["id"]]
            before = [r for r in chain if (r.history_date, r.history_id) < (g["history_date"], g["history_id"])]
            if before:
                previous[(key, g["history_id"])] = before[-1]
    changes_of: list[list[tuple[str, str, str]]] = []
    for row in rows:
        key, hid = row["model_key"], row["history_id"]
        record, before = full.get((key, hid)), previous.get((key, hid))
        changes: list[tuple[str, str, str]] = []
        if record is not None and row["history_type"] == "~" and before is not None:
            delta = record.diff_against(before)
            changes = [(c.field, _text(c.old), _text(c.new)) for c in delta.changes if c.field not in HIDDEN_FIELDS]
            changes += [(name, _text(getattr(before, name)), _text(getattr(record, name)))
                        for name in _derived_fields(record) if getattr(before, name) != getattr(record, name)]
        elif record is not None and row["history_type"] == "+":
            changes = [(f.attname, "", _text(getattr(record, f.attname)))
                       for f in BY_KEY[key].model._meta.fields
                       if f.attname not in CREATED_SKIP and getattr(record, f.attname, None) not in (None, "")]
        changes_of.append(changes)
    names = _Names(rows, changes_of)

    out = []
    for row, changes in zip(rows, changes_of, strict=True):
        reason = row["history_change_reason"] or ""
        note = reason.split("; ", 1)[1] if reason.startswith(COMMAND_PREFIX) and "; " in reason else (
            "" if reason.startswith((COMMAND_PREFIX, TASK_PREFIX, "API token")) else reason)
        changes = names.changes(changes)
        if note and row["history_type"] == "~":
            changes = [(str(_("event")), "", note), *changes]
        who = names.users.get(row["history_user_id"]) or (reason if reason.startswith("API token") else "") or (
            reason.split("; ", 1)[0] if reason.startswith((COMMAND_PREFIX, TASK_PREFIX)) else "") or str(_("system"))
        out.append(AuditRow(
            when=row["history_date"], model=BY_KEY[row["model_key"]].label, object_id=row["id"],
            object_label=f"#{row['id']}",
            action=str(ACTIONS.get(row["history_type"], row["history_type"])), who=who,
            nation=names.nations.get(row["nation_ref"], ""), changes=changes,
            shown=shown_changes(BY_KEY[row["model_key"]].model, changes),
        ))
    return out


# Bookkeeping a person reading the trail has no use for: two-factor counters and clocks, an alert's
# internal condition key (its kind and message say it in words), automatic timestamps.
DISPLAY_HIDDEN = {"t0", "tolerance", "drift", "step", "digits", "last_t", "throttling_failure_timestamp",
                  "throttling_failure_count", "key", "created_at", "updated_at", "last_used_at", "last_login"}


def _model_field(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        try:
            return model._meta.get_field(name.removesuffix("_id"))
        except FieldDoesNotExist:
            return None


def shown_value(model_field, value: str) -> str:
    """A stored value as people read it: a choice's label, yes/no, grouped numbers, ISO dates and times to
    the minute ("2026-12-03 07:56 UTC"). References are already names (``_Names``)."""
    if value == "" or model_field is None or model_field.is_relation:
        return value
    if model_field.choices:
        labels = {str(key): label for key, label in model_field.flatchoices}
        return str(labels.get(value, value))
    if isinstance(model_field, models.BooleanField):
        return str(_("yes") if value == "True" else _("no") if value == "False" else value)
    if isinstance(model_field, models.DateTimeField):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = moment.astimezone(dt.UTC)
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    if isinstance(model_field, models.IntegerField | models.DecimalField | models.FloatField):
        try:
            return grouped(Decimal(value))
        except ArithmeticError:
            return value
    return value


def shown_changes(model, changes: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The changes for the page: fields by their labels, values formatted, bookkeeping left out."""
    out = []
    for name, old, new in changes:
        if name in DISPLAY_HIDDEN:
            continue
        model_field = _model_field(model, name)
        if model_field is None:
            label = str(_("Event")) if name == str(_("event")) else name
        else:
            verbose = str(model_field.verbose_name)
            label = verbose[:1].upper() + verbose[1:]
        out.append((label, shown_value(model_field, old), shown_value(model_field, new)))
    return out


# A created row lists attnames ("donor_id"), a change diff_against's field names ("donor"): both.
NATION_REFS = {name + suffix for name in ("nation", "donor", "recipient", "lead_nation") for suffix in ("", "_id")}
ITEM_REFS = {"item", "item_id"}
USER_REFS = {"user", "user_id"}  # two-factor devices, memberships


class _Names:
    """The page's nation codes, item names and usernames, one query each: the rows' nations and writers,
    and the ids in the changes' reference fields (shown by name, without "_id")."""

    def __init__(self, rows: list[dict], changes_of: list[list[tuple[str, str, str]]]):
        def ids(fields: set[str]) -> set[int]:
            return {int(v) for changes in changes_of for f, old, new in changes if f in fields
                    for v in (old, new) if v.isdigit()}

        nation_ids = ids(NATION_REFS) | {r["nation_ref"] for r in rows if r["nation_ref"]}
        user_ids = ids(USER_REFS) | {r["history_user_id"] for r in rows if r["history_user_id"]}
        item_ids = ids(ITEM_REFS)
        self.nations = dict(Nation.objects.filter(pk__in=nation_ids).values_list("pk", "code")) if nation_ids else {}
        self.items = {row["pk"]: name_of(row) for row in Item.objects.filter(pk__in=item_ids)
                      .values("pk", *name_fields())} if item_ids else {}
        self.users = (dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
                      if user_ids else {})
        self._refs = [(NATION_REFS, self.nations), (ITEM_REFS, self.items), (USER_REFS, self.users)]

    def changes(self, changes: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        def named(names: dict, value: str) -> str:
            return names.get(int(value), value) if value.isdigit() else value

        out = []
        for f, old, new in changes:
            names = next((names for fields, names in self._refs if f in fields), None)
            out.append((f, old, new) if names is None else
                       (f.removesuffix("_id"), named(names, old), named(names, new)))
        return out


def _derived_fields(record) -> list[str]:
    """Non-editable tracked fields other than the automatic timestamps: the derived totals the services
    write (a pledge's allocated/shipped/delivered after a delivery). simple-history's ``diff_against``
    only compares editable fields, so their history rows would otherwise show no change."""
    return [f.attname for f in record.tracked_fields
            if not f.editable and not f.primary_key and f.attname not in HIDDEN_FIELDS
            and not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))]


def audit_chunks(queryset, size: int = 500) -> Iterator[list[AuditRow]]:
    """The whole filtered trail in chunks (for the streaming CSV): fixed queries per chunk."""
    chunk: list[dict] = []
    for row in queryset.iterator(chunk_size=size):
        chunk.append(row)
        if len(chunk) == size:
            yield enrich(chunk)
            chunk = []
    if chunk:
        yield enrich(chunk)
