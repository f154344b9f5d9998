"""Pledges, the deliveries against them, training commitments and the recipient's requirements."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from coordination.access import (
    ALL_Q,
    NONE_Q,
    VIEW,
    NationOwnedAccess,
    RestrictedQuerySet,
    Scope,
    releasable_q,
)
from coordination.dates import validate_date_window
from coordination.models import Item, Nation
from coordination.text import amount_of, grouped, iso

NON_NEGATIVE = MinValueValidator(0, message=_("This cannot be negative."))
POSITIVE = MinValueValidator(1, message=_("Must be at least 1."))

class Releasability(models.TextChoices):
    PUBLIC = "public", _("Public")
    ALLIANCE = "alliance", _("Alliance")
    RESTRICTED = "restricted", _("Restricted (donor and cell only)")


class Pledge(models.Model):
    class Source(models.TextChoices):
        NATIONAL_STOCK = "national_stock", _("National stock")
        NEW_PRODUCTION = "new_production", _("New production")
        PROCUREMENT = "procurement", _("Procurement")

    class Status(models.TextChoices):
        ANNOUNCED = "announced", _("Announced")
        COMMITTED = "committed", _("Committed")
        ALLOCATED = "allocated", _("Allocated")
        CANCELLED = "cancelled", _("Cancelled")

    class Progress(models.TextChoices):
        NONE = "none", _("None")
        PARTIAL = "partial", _("Partial")
        COMPLETE = "complete", _("Complete")

    donor = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="pledges_given")
    recipient = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="pledges_received")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="pledges")
    quantity = models.BigIntegerField(_("quantity"), validators=[NON_NEGATIVE])
    value_eur = models.DecimalField(
        _("value (EUR)"), max_digits=18, decimal_places=2, null=True, blank=True, validators=[NON_NEGATIVE]
    )
    announced_on = models.DateField(_("announced on"), validators=[validate_date_window])
    due_on = models.DateField(_("due on"), null=True, blank=True, validators=[validate_date_window])
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.NATIONAL_STOCK)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ANNOUNCED)
    releasability = models.CharField(
        _("releasability"), max_length=12, choices=Releasability.choices, default=Releasability.ALLIANCE
    )
    reference = models.CharField(_("reference"), max_length=500, blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")
    # Derived from the deliveries by pledges.services (under a lock on this row), never typed in.
    allocated_quantity = models.BigIntegerField(_("quantity in non-cancelled deliveries"), default=0, editable=False)
    shipped_quantity = models.BigIntegerField(_("shipped quantity"), default=0, editable=False)
    delivered_quantity = models.BigIntegerField(_("delivered quantity"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-announced_on", "-pk"]
        indexes = [
            models.Index(fields=["donor", "item"]),
            models.Index(fields=["recipient", "item"]),
            models.Index(fields=["due_on"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="pledge_quantity_gte_0",
                violation_error_message=_("The quantity cannot be negative.")),
            models.CheckConstraint(condition=models.Q(value_eur__gte=0), name="pledge_value_gte_0",
                violation_error_message=_("The value cannot be negative.")),
            models.CheckConstraint(
                condition=models.Q(allocated_quantity__lte=models.F("quantity")),
                name="pledge_deliveries_within_quantity",
                violation_error_message=_(
                    "The deliveries scheduled against this pledge add up to more than its quantity."),
            ),
            models.CheckConstraint(
                condition=models.Q(delivered_quantity__lte=models.F("shipped_quantity"))
                & models.Q(shipped_quantity__lte=models.F("allocated_quantity"))
                & models.Q(delivered_quantity__gte=0),
                name="pledge_progress_ordered",
                violation_error_message=_(
                    "A pledge cannot have more delivered than shipped, nor more shipped than scheduled."),
            ),
            models.CheckConstraint(
                condition=~models.Q(donor=models.F("recipient")), name="pledge_donor_not_recipient",
                violation_error_message=_("The donor and the recipient must be different nations.")
            ),
            models.CheckConstraint(
                condition=models.Q(due_on__isnull=True) | models.Q(due_on__gte=models.F("announced_on")),
                name="pledge_due_after_announced",
                violation_error_message=_("The due date cannot be before the day the pledge was announced."),
            ),
        ]

    def __str__(self) -> str:
        """As people say it: "USA → UKR: 40,000 rounds, 155 mm HE, due 2024-06-30"."""
        values = {"donor": self.donor.code, "recipient": self.recipient.code,
                  "what": amount_of(self.quantity, self.item), "on": iso(self.due_on or self.announced_on)}
        if self.due_on:
            return gettext("%(donor)s → %(recipient)s: %(what)s, due %(on)s") % values
        return gettext("%(donor)s → %(recipient)s: %(what)s, announced %(on)s") % values

    @classmethod
    def access_q(cls, scope: Scope, action: str) -> models.Q:
        if action == VIEW:
            return releasable_q(scope)
        return models.Q(donor_id=scope.nation_id)

    @property
    def progress(self) -> str:
        if self.delivered_quantity <= 0:
            return self.Progress.NONE
        if self.delivered_quantity >= self.quantity:
            return self.Progress.COMPLETE
        return self.Progress.PARTIAL

    @property
    def remaining_quantity(self) -> int:
        """What can still be scheduled against this pledge."""
        return self.quantity - self.allocated_quantity


class Delivery(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        IN_TRANSIT = "in_transit", _("In transit")
        DELIVERED = "delivered", _("Delivered")
        CONFIRMED = "confirmed", _("Confirmed by recipient")
        CANCELLED = "cancelled", _("Cancelled")

    SHIPPED = (Status.IN_TRANSIT, Status.DELIVERED, Status.CONFIRMED)
    DELIVERED = (Status.DELIVERED, Status.CONFIRMED)

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="deliveries")
    quantity = models.BigIntegerField(_("quantity"), validators=[POSITIVE])
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    shipped_on = models.DateField(_("shipped on"), null=True, blank=True, validators=[validate_date_window])
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True, validators=[validate_date_window])
    reference = models.CharField(_("reference"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = _("deliveries")
        # Delivered deliveries only (a past date's figures read nothing else): by date, for "delivered after
        # D" (the pledges whose delivered quantity then differs from today's) and a month's deliveries; by
        # pledge and date with the quantity, for "delivered by D" per pledge without reading the table.
        indexes = [
            models.Index(fields=["delivered_on"], name="delivery_delivered_on",
                         condition=models.Q(status__in=["delivered", "confirmed"])),
            models.Index(fields=["pledge", "delivered_on", "quantity"], name="delivery_pledge_delivered",
                         condition=models.Q(status__in=["delivered", "confirmed"])),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="delivery_quantity_gt_0",
                violation_error_message=_("A delivery's quantity must be at least 1.")),
            models.CheckConstraint(
                condition=models.Q(delivered_on__isnull=True)
                | models.Q(shipped_on__isnull=True)
                | models.Q(delivered_on__gte=models.F("shipped_on")),
                name="delivery_delivered_after_shipped",
                violation_error_message=_("The delivery date cannot be before the shipping date."),
            ),
        ]

    def __str__(self) -> str:
        """ "POL → UKR: 1,000 rounds, 155 mm HE, in transit (pledge of 2024-06-30)"."""
        pledge = self.pledge
        return gettext("%(donor)s → %(recipient)s: %(what)s, %(status)s (pledge of %(on)s)") % {
            "donor": pledge.donor.code, "recipient": pledge.recipient.code,
            "what": amount_of(self.quantity, pledge.item), "status": self.get_status_display().lower(),
            "on": iso(pledge.announced_on)}

    @classmethod
    def access_q(cls, scope: Scope, action: str) -> models.Q:
        if action == VIEW:
            return releasable_q(scope, prefix="pledge__")
        return models.Q(pledge__donor_id=scope.nation_id)


class TrainingCommitment(NationOwnedAccess, models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    owner_field = "donor"

    donor = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="training_commitments")
    recipient = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="training_received")
    programme = models.CharField(_("programme"), max_length=200)
    trainees_committed = models.PositiveIntegerField(_("trainees committed"))
    trainees_completed = models.PositiveIntegerField(_("trainees completed"), default=0)
    start_on = models.DateField(_("start"), null=True, blank=True, validators=[validate_date_window])
    end_on = models.DateField(_("end"), null=True, blank=True, validators=[validate_date_window])
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    reference = models.CharField(_("reference"), max_length=500, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["donor__name", "programme"]
        constraints = [
            models.CheckConstraint(condition=models.Q(trainees_committed__gte=0), name="training_committed_gte_0",
                violation_error_message=_("The number of trainees cannot be negative.")),
            models.CheckConstraint(condition=models.Q(trainees_completed__gte=0), name="training_completed_gte_0",
                violation_error_message=_("The number of trainees cannot be negative.")),
            models.CheckConstraint(
                condition=models.Q(end_on__isnull=True)
                | models.Q(start_on__isnull=True)
                | models.Q(end_on__gte=models.F("start_on")),
                name="training_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        """ "POL → UKR: Leopard crews, 120 trainees"."""
        return gettext("%(donor)s → %(recipient)s: %(programme)s, %(n)s trainees") % {
            "donor": self.donor.code, "recipient": self.recipient.code, "programme": self.programme,
            "n": grouped(self.trainees_committed)}


class Requirement(models.Model):
    class Priority(models.IntegerChoices):
        CRITICAL = 1, _("Critical")
        HIGH = 2, _("High")
        MEDIUM = 3, _("Medium")
        LOW = 4, _("Low")

    recipient = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="requirements")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="requirements")
    quantity = models.BigIntegerField(_("quantity needed"), validators=[NON_NEGATIVE])
    period_from = models.DateField(_("from"), validators=[validate_date_window])
    period_to = models.DateField(_("to"), validators=[validate_date_window])
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.MEDIUM)
    notes = models.TextField(_("notes"), blank=True, default="")
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "item__name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="requirement_quantity_gte_0",
                violation_error_message=_("The quantity cannot be negative.")),
            models.CheckConstraint(
                condition=models.Q(period_to__gte=models.F("period_from")), name="requirement_period_ordered",
                violation_error_message=_("The period cannot end before it starts.")
            ),
            models.UniqueConstraint(
                fields=["recipient", "item", "period_from"], name="requirement_unique_per_period",
                violation_error_message=_("This recipient already states a requirement for this item from this date.")
            ),
        ]

    def __str__(self) -> str:
        """ "UKR needs 40,000 rounds, 155 mm HE, 2024-01-01 to 2024-12-31"."""
        return gettext("%(recipient)s needs %(what)s, %(from)s to %(to)s") % {
            "recipient": self.recipient.code, "what": amount_of(self.quantity, self.item),
            "from": iso(self.period_from), "to": iso(self.period_to)}

    # What a refused write names ("You may not create …"), for the admin, the import and the API alike.
    WRITE_WHAT = "requirements: among the nations only the recipient states them, for itself"

    @classmethod
    def access_q(cls, scope: Scope, action: str) -> models.Q:
        """Every nation reads the recipient's stated needs; the recipient and the cell write them."""
        if action == VIEW:
            return ALL_Q
        return models.Q(recipient_id=scope.nation_id) if scope.nation_role == "recipient" else NONE_Q



class AidFlow(models.Model):
    """Monthly aid per donor from the Kiel Ukraine Support Tracker (public data; amounts in EUR).

    ``allocated_eur`` is the tracker's ``total`` (financial + humanitarian + military allocations);
    ``committed_eur`` its ``commitments``; ``to_be_allocated_eur`` = commitments − allocations.
    Negative values are corrections, as in the source.
    """

    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="aid_flows")
    month = models.DateField(_("month"), help_text=_("First day of the month."), validators=[validate_date_window])
    allocated_eur = models.DecimalField(_("allocated (EUR)"), max_digits=20, decimal_places=2)
    military_eur = models.DecimalField(_("military (EUR)"), max_digits=20, decimal_places=2)
    financial_eur = models.DecimalField(_("financial (EUR)"), max_digits=20, decimal_places=2)
    humanitarian_eur = models.DecimalField(_("humanitarian (EUR)"), max_digits=20, decimal_places=2)
    committed_eur = models.DecimalField(_("committed (EUR)"), max_digits=20, decimal_places=2)
    to_be_allocated_eur = models.DecimalField(_("to be allocated (EUR)"), max_digits=20, decimal_places=2)
    source = models.CharField(_("source"), max_length=200, blank=True, default="")
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["nation__name", "month"]
        constraints = [
            models.UniqueConstraint(fields=["nation", "month"], name="aidflow_unique_nation_month",
                violation_error_message=_("This nation already has tracker figures for this month.")),
        ]

    def __str__(self) -> str:
        return gettext("%(nation)s, %(month)s: €%(amount)s allocated") % {
            "nation": self.nation.code, "month": f"{self.month:%Y-%m}", "amount": grouped(self.allocated_eur)}

    @classmethod
    def access_q(cls, scope: Scope, action: str) -> models.Q:
        """Public data: everyone reads; only the cell (which bypasses this) writes."""
        return ALL_Q if action == VIEW else NONE_Q
