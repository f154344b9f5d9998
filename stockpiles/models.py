"""Stock levels, guidelines, production rates and the computed shortfalls and alerts."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from coordination.access import NONE_Q, VIEW, NationOwnedAccess, RestrictedQuerySet, Scope
from coordination.models import Item, Nation

NON_NEGATIVE = MinValueValidator(0, message=_("This cannot be negative."))

class StockReport(NationOwnedAccess, models.Model):
    """Append-only time series of a nation's stock on hand. One report per (nation, item, as_of)."""

    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="stock_reports")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="stock_reports")
    quantity = models.BigIntegerField(_("quantity on hand"), validators=[NON_NEGATIVE])
    as_of = models.DateField(_("as of"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-as_of", "nation__code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stockreport_quantity_gte_0"),
            models.UniqueConstraint(fields=["nation", "item", "as_of"], name="stockreport_unique_per_day"),
        ]
        indexes = [
            models.Index(fields=["item", "as_of"]),
            # A nation's series newest first (the API list's order): a page is an index range scan.
            models.Index(fields=["nation", "-as_of", "-id"], name="stockreport_nation_asof_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.nation_id}/{self.item_id} {self.quantity} @ {self.as_of}"


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
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="currentstock_quantity_gte_0"),
            models.UniqueConstraint(fields=["nation", "item"], name="currentstock_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.nation_id}/{self.item_id} {self.quantity} @ {self.as_of}"


class StockpileGuideline(models.Model):
    """Minimum stock of an item. A nation-specific guideline wins over the alliance-wide default."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="guidelines")
    nation = models.ForeignKey(
        Nation, on_delete=models.PROTECT, null=True, blank=True, related_name="guidelines",
        help_text=_("Empty for the alliance-wide default."),
    )
    minimum_quantity = models.BigIntegerField(_("minimum quantity"), validators=[NON_NEGATIVE])
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["item__name", "nation__code", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=models.Q(minimum_quantity__gte=0), name="guideline_minimum_gte_0"),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="guideline_period_ordered",
            ),
            models.UniqueConstraint(
                fields=["item", "nation", "effective_from"],
                condition=models.Q(nation__isnull=False),
                name="guideline_unique_national",
            ),
            models.UniqueConstraint(
                fields=["item", "effective_from"],
                condition=models.Q(nation__isnull=True),
                name="guideline_unique_alliance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nation_id or 'alliance'}/{self.item_id} ≥ {self.minimum_quantity}"

    @classmethod
    def access_q(cls, scope: Scope, action: str) -> models.Q:
        """Alliance-wide guidelines are read by all; a national target only by its nation."""
        if action == VIEW:
            return models.Q(nation__isnull=True) | models.Q(nation_id=scope.nation_id)
        return NONE_Q


class ProductionRate(NationOwnedAccess, models.Model):
    """Units of an item a nation produces per month, effective from a date (a ramp-up is a series)."""

    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="production_rates")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="production_rates")
    units_per_month = models.BigIntegerField(_("units per month"), validators=[NON_NEGATIVE])
    effective_from = models.DateField(_("effective from"))
    reference = models.CharField(_("reference"), max_length=500, blank=True, default="")
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["nation__code", "item__name", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=models.Q(units_per_month__gte=0), name="rate_units_gte_0"),
            models.UniqueConstraint(fields=["nation", "item", "effective_from"], name="rate_unique_per_start"),
        ]

    def __str__(self) -> str:
        return f"{self.nation_id}/{self.item_id} {self.units_per_month}/month from {self.effective_from}"


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
    not_recovering = models.BooleanField(_("not recovering"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    computed_at = models.DateTimeField(_("computed at"))
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-shortfall", "nation__code"]
        constraints = [
            models.UniqueConstraint(fields=["nation", "item"], name="shortfall_unique_pair"),
            models.CheckConstraint(condition=models.Q(shortfall__gte=0), name="shortfall_gte_0"),
        ]
        indexes = [models.Index(fields=["item", "status"])]

    def __str__(self) -> str:
        return f"{self.nation_id}/{self.item_id}: {self.shortfall} ({self.status})"


class ShortfallMark(models.Model):
    """A (nation, item) pair whose inputs changed and whose Shortfall row awaits a recompute.

    Writes insert marks (idempotent); the recompute task drains them. Many writes in a burst
    leave one mark per pair and a bounded number of tasks.
    """

    nation = models.ForeignKey(Nation, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["nation", "item"], name="shortfallmark_unique_pair")]

    def __str__(self) -> str:
        return f"{self.nation_id}/{self.item_id} marked {self.marked_at}"


class Alert(NationOwnedAccess, models.Model):
    """Raised when a pair falls below guideline or a pledge becomes overdue; closed when it clears."""

    class Kind(models.TextChoices):
        BELOW_GUIDELINE = "below_guideline", _("Below guideline")
        PLEDGE_OVERDUE = "pledge_overdue", _("Pledge overdue")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    nation = models.ForeignKey(Nation, on_delete=models.CASCADE, related_name="alerts")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    pledge = models.ForeignKey(
        "pledges.Pledge", on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    key = models.CharField(max_length=100, help_text=_("Identifies the condition, e.g. below:POL:12."))
    message = models.CharField(_("message"), max_length=500)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(closed_at__isnull=True), name="alert_one_open_per_key"
            ),
        ]

    def __str__(self) -> str:
        return self.message



