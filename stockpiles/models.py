"""Stock levels, guidelines, production rates and the computed shortfalls and alerts."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from coordination.access import NONE_Q, VIEW, CatalogueAccess, NationOwnedAccess, RestrictedQuerySet, Scope
from coordination.dates import validate_date_window, validate_past_date_window
from coordination.models import Item, Nation
from coordination.text import amount_of, grouped, iso

NON_NEGATIVE = MinValueValidator(0, message=_("This cannot be negative."))

class StockReport(NationOwnedAccess, models.Model):
    """Append-only time series of a nation's stock on hand. One report per (nation, item, as_of)."""

    # No index of their own on the three foreign keys: nation is the first column of the unique constraint
    # and of stockreport_nation_asof_idx, item of the (item, as_of) index; reported_by serves no read (a
    # deleted user's reports are found by a scan: rare). Every index costs each ingested row (see
    # docs/performance.md, "Stock report indexes").
    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="stock_reports", db_index=False)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="stock_reports", db_index=False)
    quantity = models.BigIntegerField(_("quantity on hand"), validators=[NON_NEGATIVE])
    as_of = models.DateField(_("as of"), validators=[validate_past_date_window])
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The history table is written with every report (the bulk ingest's second COPY): it keeps the indexes a
    # read uses (its key; ``id`` for an object's history; ``history_date`` and ``history_user`` for the audit
    # trail's order and user filter; ``nation`` for its nation filter) and none on ``item`` or ``reported_by``,
    # which no read filters on (docs/performance.md, "Ingest against two baselines").
    history = HistoricalRecords(no_db_index=["item", "reported_by"])
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-as_of", "nation__code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stockreport_quantity_gte_0",
                violation_error_message=_("The quantity on hand cannot be negative.")),
            models.UniqueConstraint(fields=["nation", "item", "as_of"], name="stockreport_unique_per_day",
                violation_error_message=_("This nation already reported this item for this day.")),
        ]
        indexes = [
            # One item across nations (API ?item=, the admin's item search, an item's history for the cell),
            # and the item foreign key's own checks.
            models.Index(fields=["item", "as_of"]),
            # A nation's series newest first (the API list's order): a page is an index range scan.
            models.Index(fields=["nation", "-as_of", "-id"], name="stockreport_nation_asof_idx"),
        ]

    def __str__(self) -> str:
        """ "POL: 4,000 rounds, 155 mm HE on hand on 2024-01-01"."""
        return gettext("%(nation)s: %(what)s on hand on %(on)s") % {
            "nation": self.nation.code, "what": amount_of(self.quantity, self.item), "on": iso(self.as_of)}


class CurrentStock(NationOwnedAccess, models.Model):
    """The latest StockReport per (nation, item); kept in step in the same transaction."""

    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="current_stocks")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="current_stocks")
    quantity = models.BigIntegerField(_("quantity on hand"))
    as_of = models.DateField(_("as of"))
    report = models.ForeignKey(StockReport, on_delete=models.PROTECT, related_name="+")
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["nation__code", "item__name"]
        verbose_name_plural = _("current stock")
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="currentstock_quantity_gte_0",
                violation_error_message=_("The quantity on hand cannot be negative.")),
            models.UniqueConstraint(fields=["nation", "item"], name="currentstock_unique_pair",
                violation_error_message=_("This nation already has a current stock row for this item.")),
        ]

    def __str__(self) -> str:
        return gettext("%(nation)s: %(what)s on hand on %(on)s") % {
            "nation": self.nation.code, "what": amount_of(self.quantity, self.item), "on": iso(self.as_of)}


class StockpileGuideline(models.Model):
    """Minimum stock of an item. A nation-specific guideline wins over the alliance-wide default."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="guidelines")
    nation = models.ForeignKey(
        Nation, on_delete=models.PROTECT, null=True, blank=True, related_name="guidelines",
        help_text=_("Empty for the alliance-wide default."),
    )
    minimum_quantity = models.BigIntegerField(_("minimum quantity"), validators=[NON_NEGATIVE])
    effective_from = models.DateField(_("effective from"), validators=[validate_date_window])
    effective_to = models.DateField(_("effective to"), null=True, blank=True, validators=[validate_date_window])
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["item__name", "nation__code", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=models.Q(minimum_quantity__gte=0), name="guideline_minimum_gte_0",
                violation_error_message=_("The minimum quantity cannot be negative.")),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="guideline_period_ordered",
                violation_error_message=_("A guideline cannot end before it takes effect."),
            ),
            models.UniqueConstraint(
                fields=["item", "nation", "effective_from"],
                condition=models.Q(nation__isnull=False),
                name="guideline_unique_national",
                violation_error_message=_("This nation already has a guideline for this item from this date."),
            ),
            models.UniqueConstraint(
                fields=["item", "effective_from"],
                condition=models.Q(nation__isnull=True),
                name="guideline_unique_alliance",
                violation_error_message=_("There is already an alliance-wide guideline for this item from this date."),
            ),
        ]

    def __str__(self) -> str:
        """ "POL: at least 10,000 rounds, 155 mm HE from 2024-01-01" (or "Alliance: …")."""
        return gettext("%(nation)s: at least %(what)s from %(on)s") % {
            "nation": self.nation.code if self.nation_id else gettext("Alliance"),
            "what": amount_of(self.minimum_quantity, self.item), "on": iso(self.effective_from)}

    @classmethod
    def access_q(cls, scope: Scope, action: str) -> models.Q:
        """Alliance-wide guidelines are read by all; a national target only by its nation."""
        if action == VIEW:
            return models.Q(nation__isnull=True) | models.Q(nation_id=scope.nation_id)
        return NONE_Q


class Manufacturer(CatalogueAccess, models.Model):
    """A company that makes items, seated in a nation. Reference data: everyone reads, the cell writes."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="manufacturers")
    reference = models.CharField(_("reference"), max_length=500, blank=True, default="")
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductionLine(CatalogueAccess, models.Model):
    """Where a manufacturer makes one item. Its capacity is the series of ``ProductionRate`` rows with
    this line (effective-dated, so a ramp-up is a series of rates): one rate concept, not two."""

    manufacturer = models.ForeignKey(Manufacturer, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="production_lines")
    name = models.CharField(_("name"), max_length=200)
    location = models.CharField(_("location"), max_length=200, blank=True, default="")
    reference = models.CharField(_("reference"), max_length=500, blank=True, default="")
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["manufacturer__name", "item__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["manufacturer", "item", "name"], name="productionline_unique_name",
                violation_error_message=_("This manufacturer already has a line of this name for this item.")),
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} – {self.name}"


class ProductionRate(NationOwnedAccess, models.Model):
    """Units of an item produced per month, effective from a date (a ramp-up is a series).

    Without ``line``: the nation's own production (what its stock regains each month; the shortfall
    engine's ``rate``). With ``line``: the capacity of that production line (industrial capacity;
    ``nation`` is then the manufacturer's nation and ``item`` the line's item). One concept, two keys.
    """

    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="production_rates")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="production_rates")
    line = models.ForeignKey(
        ProductionLine, on_delete=models.PROTECT, null=True, blank=True, related_name="rates",
        help_text=_("Empty for the nation's own production rate; set for a production line's capacity."),
    )
    units_per_month = models.BigIntegerField(_("units per month"), validators=[NON_NEGATIVE])
    effective_from = models.DateField(_("effective from"), validators=[validate_date_window])
    reference = models.CharField(_("reference"), max_length=500, blank=True, default="")
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["nation__code", "item__name", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=models.Q(units_per_month__gte=0), name="rate_units_gte_0",
                violation_error_message=_("The units per month cannot be negative.")),
            models.UniqueConstraint(
                fields=["nation", "item", "effective_from"], condition=models.Q(line__isnull=True),
                name="rate_unique_per_start",
                violation_error_message=_("This nation already has a production rate for this item from this date."),
            ),
            models.UniqueConstraint(
                fields=["line", "effective_from"], condition=models.Q(line__isnull=False),
                name="rate_unique_per_line_start",
                violation_error_message=_("This production line already has a capacity from this date."),
            ),
        ]

    def __str__(self) -> str:
        """ "POL: 500 rounds a month, 155 mm HE from 2024-01-01" (a line's capacity names the line)."""
        who = f"{self.nation.code} ({self.line.name})" if self.line_id else self.nation.code
        return gettext("%(who)s: %(what)s a month from %(on)s") % {
            "who": who, "what": amount_of(self.units_per_month, self.item), "on": iso(self.effective_from)}

    def clean(self) -> None:
        """A line's rate belongs to the line's manufacturer's nation and the line's item."""
        super().clean()
        if self.line_id:
            line = ProductionLine.objects.select_related("manufacturer").get(pk=self.line_id)
            errors = {}
            if self.nation_id and self.nation_id != line.manufacturer.nation_id:
                errors["nation"] = [_("A production line's rate belongs to the manufacturer's nation.")]
            if self.item_id and self.item_id != line.item_id:
                errors["item"] = [_("A production line's rate is for the line's item.")]
            if errors:
                raise ValidationError(errors)


class FrameworkAgreement(models.Model):
    """A framework agreement led by one nation for one item: ceiling, unit price, validity, participants.

    Read by its lead nation, its participants and the cell; written by the cell only.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    lead_nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="agreements_led")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="framework_agreements")
    manufacturer = models.ForeignKey(Manufacturer, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="framework_agreements")
    ceiling_quantity = models.BigIntegerField(_("ceiling quantity"), validators=[NON_NEGATIVE])
    unit_price_eur = models.DecimalField(_("unit price (EUR)"), max_digits=14, decimal_places=2, null=True,
                                         blank=True, validators=[NON_NEGATIVE])
    valid_from = models.DateField(_("valid from"), validators=[validate_date_window])
    valid_to = models.DateField(_("valid to"), null=True, blank=True, validators=[validate_date_window])
    reference = models.CharField(_("reference"), max_length=500, blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["item__name", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ceiling_quantity__gte=0), name="agreement_ceiling_gte_0",
                violation_error_message=_("The ceiling quantity cannot be negative.")),
            models.CheckConstraint(condition=models.Q(unit_price_eur__isnull=True) | models.Q(unit_price_eur__gte=0),
                                   name="agreement_price_gte_0",
                                   violation_error_message=_("The unit price cannot be negative.")),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="agreement_validity_ordered",
                violation_error_message=_("An agreement cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    class Validity(models.TextChoices):
        """Whether an agreement is in force on a day: the one word every door shows (the dashboard's note, the
        admin's list and export, the API)."""

        IN_FORCE = "in_force", _("In force")
        EXPIRED = "expired", _("Expired")
        NOT_YET_IN_FORCE = "not_yet_in_force", _("Not yet in force")

    def in_force(self, on) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def validity(self, on) -> FrameworkAgreement.Validity:
        """In force, expired (its ``valid_to`` is before ``on``) or not yet in force on ``on``."""
        return agreement_validity(self.valid_from, self.valid_to, on)

    @classmethod
    def validity_q(cls, validity: str, on) -> models.Q:
        """The agreements with that validity on ``on`` (the admin's filter)."""
        if validity == cls.Validity.EXPIRED:
            return models.Q(valid_to__lt=on)
        if validity == cls.Validity.NOT_YET_IN_FORCE:
            return models.Q(valid_from__gt=on)
        return models.Q(valid_from__lte=on) & (models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=on))

    @classmethod
    def access_q(cls, scope: Scope, action: str) -> models.Q:
        if action == VIEW:
            return models.Q(lead_nation_id=scope.nation_id) | models.Q(
                models.Exists(AgreementParticipant.objects.filter(agreement=models.OuterRef("pk"),
                                                                  nation_id=scope.nation_id))
            )
        return NONE_Q


def agreement_validity(valid_from, valid_to, on) -> FrameworkAgreement.Validity:
    """``FrameworkAgreement.validity`` on plain dates (for rows read without the model)."""
    if valid_to is not None and valid_to < on:
        return FrameworkAgreement.Validity.EXPIRED
    if valid_from > on:
        return FrameworkAgreement.Validity.NOT_YET_IN_FORCE
    return FrameworkAgreement.Validity.IN_FORCE


class AgreementParticipant(models.Model):
    """A nation taking part in a framework agreement, with its planned quantity and the day it joined."""

    agreement = models.ForeignKey(FrameworkAgreement, on_delete=models.CASCADE, related_name="participants")
    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="agreement_participations")
    planned_quantity = models.BigIntegerField(_("planned quantity"), validators=[NON_NEGATIVE])
    joined_on = models.DateField(_("joined on"), validators=[validate_date_window])
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["agreement__name", "joined_on", "nation__code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(planned_quantity__gte=0), name="participant_planned_gte_0",
                violation_error_message=_("The planned quantity cannot be negative.")),
            models.UniqueConstraint(fields=["agreement", "nation"], name="participant_unique_per_agreement",
                violation_error_message=_("This nation already takes part in this agreement.")),
        ]

    def __str__(self) -> str:
        return gettext("%(nation)s in “%(agreement)s” from %(on)s, %(n)s planned") % {
            "nation": self.nation.code, "agreement": self.agreement.name, "on": iso(self.joined_on),
            "n": grouped(self.planned_quantity)}

    @classmethod
    def access_q(cls, scope: Scope, action: str) -> models.Q:
        if action == VIEW:
            return models.Q(agreement__lead_nation_id=scope.nation_id) | models.Q(
                models.Exists(AgreementParticipant.objects.filter(agreement=models.OuterRef("agreement"),
                                                                  nation_id=scope.nation_id))
            )
        return NONE_Q


class Order(NationOwnedAccess, models.Model):
    """A nation's order of an item: a call-off under a framework agreement, or a national contract.

    Its delivery schedule (``OrderScheduleLine``) is the contracted inflow of the nation's stock.
    """

    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        CONFIRMED = "confirmed", _("Confirmed by the manufacturer")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="orders")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="orders")
    agreement = models.ForeignKey(FrameworkAgreement, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="orders", help_text=_("Empty for a national contract."))
    manufacturer = models.ForeignKey(Manufacturer, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="orders")
    quantity = models.BigIntegerField(_("quantity"), validators=[NON_NEGATIVE])
    unit_price_eur = models.DecimalField(_("unit price (EUR)"), max_digits=14, decimal_places=2, null=True,
                                         blank=True, validators=[NON_NEGATIVE])
    ordered_on = models.DateField(_("ordered on"), validators=[validate_date_window])
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLACED)
    reference = models.CharField(_("reference"), max_length=200, blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-ordered_on", "-pk"]
        indexes = [models.Index(fields=["nation", "item"]), models.Index(fields=["agreement", "status"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="order_quantity_gte_0",
                violation_error_message=_("The quantity cannot be negative.")),
            models.CheckConstraint(condition=models.Q(unit_price_eur__isnull=True) | models.Q(unit_price_eur__gte=0),
                                   name="order_price_gte_0",
                                   violation_error_message=_("The unit price cannot be negative.")),
            models.UniqueConstraint(fields=["nation", "reference"], condition=~models.Q(reference=""),
                                    name="order_unique_reference_per_nation",
                                    violation_error_message=_("This nation already has an order with this reference.")),
        ]

    def __str__(self) -> str:
        """ "POL order POL-1: 5,000 rounds, 155 mm HE, ordered 2024-01-05"."""
        return gettext("%(nation)s order %(reference)s: %(what)s, ordered %(on)s") % {
            "nation": self.nation.code, "reference": self.reference or f"#{self.pk}",
            "what": amount_of(self.quantity, self.item), "on": iso(self.ordered_on)}


class OrderScheduleLine(NationOwnedAccess, models.Model):
    """One line of an order's delivery schedule: a quantity due on a date; ``received_on`` once it arrived
    (then it is in the nation's stock reports and no longer an inflow)."""

    owner_field = "order__nation"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="schedule")
    due_on = models.DateField(_("due on"), validators=[validate_date_window])
    quantity = models.BigIntegerField(_("quantity"), validators=[NON_NEGATIVE])
    received_on = models.DateField(_("received on"), null=True, blank=True, validators=[validate_date_window])
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["order_id", "due_on"]
        indexes = [models.Index(fields=["due_on"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="scheduleline_quantity_gte_0",
                violation_error_message=_("The quantity cannot be negative.")),
            models.UniqueConstraint(fields=["order", "due_on"], name="scheduleline_unique_per_day",
                violation_error_message=_("This order already has a schedule line on this day: merge them.")),
        ]

    def __str__(self) -> str:
        return gettext("%(n)s due %(on)s") % {"n": grouped(self.quantity), "on": iso(self.due_on)}


class Shortfall(NationOwnedAccess, models.Model):
    """Computed: one row per (nation, item). Written only by the shortfall engine (upsert)."""

    class Status(models.TextChoices):
        OK = "ok", _("At or above guideline")
        BELOW_GUIDELINE = "below_guideline", _("Below guideline")
        NO_REPORT = "no_report", _("No stock report")
        NO_GUIDELINE = "no_guideline", _("No guideline")

    nation = models.ForeignKey(Nation, on_delete=models.CASCADE, related_name="shortfalls")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="shortfalls")
    as_of = models.DateField(_("as of"))
    on_hand = models.BigIntegerField(_("on hand"), null=True, blank=True)
    guideline = models.BigIntegerField(_("guideline"), null=True, blank=True)
    owed = models.BigIntegerField(_("owed"), default=0)
    available = models.BigIntegerField(_("available"), null=True, blank=True)
    shortfall = models.BigIntegerField(_("shortfall"), default=0)
    coverage = models.FloatField(_("coverage"), null=True, blank=True)
    rate = models.BigIntegerField(_("production per month"), null=True, blank=True)
    months_to_recover = models.IntegerField(_("months to recover"), null=True, blank=True)
    contracted_inflow = models.BigIntegerField(
        _("contracted inflow"), default=0, db_default=0,
        help_text=_("Scheduled, not yet received order quantities counted in the projection."),
    )
    recovers_on = models.DateField(_("back above guideline by"), null=True, blank=True)
    not_recovering = models.BooleanField(_("not recovering"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    computed_at = models.DateTimeField(_("computed at"))
    # The engine could not compute this pair at its last run (a bad input row): the figures above are
    # from ``computed_at``, kept as they were; ``failure`` says why. Cleared when the pair computes again.
    failed = models.BooleanField(_("engine failure"), default=False, db_default=False)
    failure = models.CharField(_("engine failure reason"), max_length=300, blank=True, default="", db_default="")
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-shortfall", "nation__code"]
        constraints = [
            models.UniqueConstraint(fields=["nation", "item"], name="shortfall_unique_pair",
                violation_error_message=_("There is already a shortfall row for this nation and item.")),
            models.CheckConstraint(condition=models.Q(shortfall__gte=0), name="shortfall_gte_0",
                violation_error_message=_("A shortfall cannot be negative.")),
        ]
        indexes = [models.Index(fields=["item", "status"])]

    def __str__(self) -> str:
        return gettext("%(nation)s, %(item)s: short by %(n)s (%(status)s)") % {
            "nation": self.nation.code, "item": self.item.display_name, "n": grouped(self.shortfall),
            "status": self.get_status_display().lower()}


class ShortfallVersion(NationOwnedAccess, models.Model):
    """The history of one pair's figures: one row per stretch of days over which they did not change.

    Valid from ``valid_from`` (inclusive) to ``valid_to`` (exclusive; null: still current). Written only by
    the shortfall engine (``stockpiles.engine.history``), in the transaction that stores the Shortfall rows.
    "As of D" reads the version valid at D. ``recovers_on`` is not stored: at D it is
    ``add_months(D, months_to_recover)``, like the live row's. See docs/history.md.
    """

    nation = models.ForeignKey(Nation, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    on_hand = models.BigIntegerField(_("on hand"), null=True, blank=True)
    guideline = models.BigIntegerField(_("guideline"), null=True, blank=True)
    owed = models.BigIntegerField(_("owed"), default=0)
    available = models.BigIntegerField(_("available"), null=True, blank=True)
    shortfall = models.BigIntegerField(_("shortfall"), default=0)
    coverage = models.FloatField(_("coverage"), null=True, blank=True)
    rate = models.BigIntegerField(_("production per month"), null=True, blank=True)
    months_to_recover = models.IntegerField(_("months to recover"), null=True, blank=True)
    contracted_inflow = models.BigIntegerField(_("contracted inflow"), default=0)
    not_recovering = models.BooleanField(_("not recovering"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Shortfall.Status.choices)
    recorded_at = models.DateTimeField(_("recorded at"))
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["nation", "item", "valid_from"], name="shortfallversion_unique_start",
                                    violation_error_message=_("This nation's figures for this item already have a "
                                                              "version starting on this day.")),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="shortfallversion_valid_to_after_from",
                violation_error_message=_("A version of the figures must end after the day it starts.")),
        ]
        indexes = [
            # as of D for every pair: the versions started by D and not ended by it
            models.Index(fields=["valid_from", "valid_to"], name="shortfallversion_period"),
            models.Index(fields=["item", "valid_from"], name="shortfallversion_item"),
        ]

    def __str__(self) -> str:
        return f"{self.nation_id}/{self.item_id} from {self.valid_from}: {self.shortfall} ({self.status})"


class Snapshot(CatalogueAccess, models.Model):
    """A named briefing snapshot the cell froze ("Weekly briefing 2024-W18"): the figures of every pair as
    of ``as_of``, copied into ``SnapshotRow`` when it was taken. Late reports and history corrections
    never change them (docs/history.md). Every signed-in reader sees the list; the rows follow the access
    rule (a nation its own, other nations' figures only through coordination.disclosure)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    as_of = models.DateField(_("figures as of"), validators=[validate_past_date_window])
    taken_at = models.DateTimeField(_("taken at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("taken by"))
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at", "-pk"]
        verbose_name = _("briefing snapshot")
        verbose_name_plural = _("briefing snapshots")

    def __str__(self) -> str:
        return f"{self.name} ({self.as_of.isoformat()})"


class SnapshotRow(NationOwnedAccess, models.Model):
    """One pair's figures frozen in a snapshot, with what they came from (the stock report's date, the
    quantity pledged from national stock) so a comparison can say why a figure moved."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="rows")
    nation = models.ForeignKey(Nation, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    on_hand = models.BigIntegerField(_("on hand"), null=True, blank=True)
    guideline = models.BigIntegerField(_("guideline"), null=True, blank=True)
    owed = models.BigIntegerField(_("owed"), default=0)
    available = models.BigIntegerField(_("available"), null=True, blank=True)
    shortfall = models.BigIntegerField(_("shortfall"), default=0)
    coverage = models.FloatField(_("coverage"), null=True, blank=True)
    rate = models.BigIntegerField(_("production per month"), null=True, blank=True)
    months_to_recover = models.IntegerField(_("months to recover"), null=True, blank=True)
    contracted_inflow = models.BigIntegerField(_("contracted inflow"), default=0)
    not_recovering = models.BooleanField(_("not recovering"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Shortfall.Status.choices)
    # what the figures came from (for "why did it change")
    reported_on = models.DateField(_("stock report of"), null=True, blank=True)
    pledged = models.BigIntegerField(_("pledged from national stock"), default=0)
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["snapshot", "nation", "item"], name="snapshotrow_unique_pair",
            violation_error_message=_("This snapshot already holds this nation's figures for this item."))]

    def __str__(self) -> str:
        return f"{self.snapshot_id}: {self.nation_id}/{self.item_id} {self.shortfall} ({self.status})"


class ShortfallRun(models.Model):
    """When the engine last recomputed every pair (one row, id 1). A full recompute writes only the Shortfall
    rows whose values changed, so the newest ``computed_at`` alone no longer says when the figures were last
    confirmed: "last computed" is the later of the two (``stockpiles.selectors.shortfalls_last_computed``)."""

    finished_at = models.DateTimeField(_("full recompute finished at"))

    def __str__(self) -> str:
        return f"full recompute finished at {self.finished_at}"


class ShortfallMark(models.Model):
    """A (nation, item) pair whose inputs changed and whose Shortfall row awaits a recompute.

    Writes insert marks (idempotent); the recompute task drains them. Many writes in a burst
    leave one mark per pair and a bounded number of tasks.
    """

    nation = models.ForeignKey(Nation, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(auto_now=True)
    # A backdated input (a stock report dated before today): the pair's history is re-derived from this
    # date on when the mark is drained (docs/history.md). Null: only today's figures changed.
    history_from = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["nation", "item"], name="shortfallmark_unique_pair",
        violation_error_message=_("This nation and item are already marked for a recompute."))]

    def __str__(self) -> str:
        return f"{self.nation_id}/{self.item_id} marked {self.marked_at}"


class Alert(NationOwnedAccess, models.Model):
    """Raised when a pair falls below guideline, a pledge becomes overdue, the shortfall engine cannot
    compute a pair, or a nation's stock reporting goes stale; closed when it clears."""

    class Kind(models.TextChoices):
        BELOW_GUIDELINE = "below_guideline", _("Below guideline")
        PLEDGE_OVERDUE = "pledge_overdue", _("Pledge overdue")
        ENGINE_FAILURE = "engine_failure", _("Shortfall engine failure")
        STALE_REPORTING = "stale_reporting", _("Stale reporting")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    nation = models.ForeignKey(Nation, on_delete=models.CASCADE, related_name="alerts")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    pledge = models.ForeignKey(
        "pledges.Pledge", on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    key = models.CharField(max_length=100, help_text=_("Identifies the condition, e.g. below:POL:12."))
    message = models.CharField(_("message"), max_length=500)  # as raised, in English: the audit's record
    # The figures the message was made from, so that a reader sees it in their own language
    # (stockpiles.alert_text); empty on alerts raised before it existed (their message is shown).
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    objects = RestrictedQuerySet.as_manager()
    # The engine's own writes leave history too: an alert raised ("+") and closed ("~", closed_at), both
    # named "task: shortfall engine" (stockpiles.alerts). Shortfall rows have none: a cache of the inputs.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(closed_at__isnull=True), name="alert_one_open_per_key",
                violation_error_message=_("This alert is already open.")
            ),
        ]
        indexes = [
            # The open alerts newest first (dashboard overview): a range scan instead of sorting every open alert.
            models.Index(fields=["-opened_at", "-id"], condition=models.Q(closed_at__isnull=True),
                         name="alert_open_newest_idx"),
        ]

    def __str__(self) -> str:
        return self.message



