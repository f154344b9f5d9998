"""The core: nations, the item catalogue, who belongs where, and API clients."""

import simple_history
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.models import HistoricalRecords

from coordination.access import CatalogueAccess, RestrictedQuerySet
from coordination.dates import validate_historic_date_window
from coordination.names import display_name

nation_code_validator = RegexValidator(
    r"^([A-Z]{3}|EU)$",
    _("Use an ISO 3166-1 alpha-3 code (three capital letters) or EU for EU institutions."),
)
nsn_validator = RegexValidator(r"^\d{13}$", _("A NATO Stock Number has exactly 13 digits."))


class Nation(CatalogueAccess, models.Model):
    class Role(models.TextChoices):
        ALLY = "ally", _("Ally")
        PARTNER = "partner", _("Partner")
        RECIPIENT = "recipient", _("Recipient")

    code = models.CharField(_("code"), max_length=3, unique=True, validators=[nation_code_validator])
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_fr = models.CharField(_("French name"), max_length=100, blank=True, default="",
                               help_text=_("Shown to French readers; empty: the English name is shown."))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.ALLY)
    joined_on = models.DateField(_("joined on"), null=True, blank=True, validators=[validate_historic_date_window])
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^([A-Z]{3}|EU)$"), name="nation_code_format",
                violation_error_message=_(
                    "Use an ISO 3166-1 alpha-3 code (three capital letters) or EU for EU institutions.")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.code})"

    @property
    def display_name(self) -> str:
        """The name in the reader's language (``coordination.names``)."""
        return display_name(self)


class Category(CatalogueAccess, models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_fr = models.CharField(_("French name"), max_length=100, blank=True, default="",
                               help_text=_("Shown to French readers; empty: the English name is shown."))
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the reader's language (``coordination.names``)."""
        return display_name(self)


class Item(CatalogueAccess, models.Model):
    class Unit(models.TextChoices):
        ROUNDS = "rounds", _("rounds")
        SYSTEMS = "systems", _("systems")
        VEHICLES = "vehicles", _("vehicles")
        PLACES = "places", _("places")
        MISSILES = "missiles", _("missiles")
        UNITS = "units", _("units")

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("name"), max_length=200, unique=True)
    name_fr = models.CharField(_("French name"), max_length=200, blank=True, default="",
                               help_text=_("Shown to French readers; empty: the English name is shown."))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.UNITS)
    nsn = models.CharField(
        _("NATO Stock Number"), max_length=13, blank=True, default="", validators=[nsn_validator]
    )
    unit_value_eur = models.DecimalField(
        _("reference unit value (EUR)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["category__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["nsn"], condition=~models.Q(nsn=""), name="item_nsn_unique",
                violation_error_message=_("Another item already has this NATO Stock Number.")),
            models.CheckConstraint(condition=models.Q(nsn="") | models.Q(nsn__regex=r"^[0-9]{13}$"),
                                   name="item_nsn_13_digits",
                                   violation_error_message=_("A NATO Stock Number has exactly 13 digits.")),
            models.CheckConstraint(condition=models.Q(unit_value_eur__gte=0), name="item_unit_value_gte_0",
                violation_error_message=_("The reference unit value cannot be negative.")),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the reader's language (``coordination.names``)."""
        return display_name(self)

    @property
    def nsn_display(self) -> str:
        """The NSN as people write it: 4-2-3-4 (e.g. 1320-01-234-5678)."""
        return format_nsn(self.nsn)


def format_nsn(nsn: str) -> str:
    if len(nsn) != 13:
        return nsn
    return f"{nsn[:4]}-{nsn[4:6]}-{nsn[6:9]}-{nsn[9:]}"


class Membership(models.Model):
    """Where a user belongs: the cell (sees everything) or exactly one nation."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, null=True, blank=True, related_name="members")
    is_cell = models.BooleanField(_("cell staff"), default=False)
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="en", blank=True
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(is_cell=True, nation__isnull=True)
                           | models.Q(is_cell=False, nation__isnull=False)),
                name="membership_cell_xor_nation",
                violation_error_message=_("A member belongs either to the cell or to exactly one nation."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {'cell' if self.is_cell else self.nation_id}"


class ApiToken(models.Model):
    """A national system's credential, bound to one nation. Only a hash of the secret is stored."""

    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=128, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["nation__code", "name"]

    def __str__(self) -> str:
        return f"{self.nation_id}: {self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an Idempotency-Key, replayed on retries."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        DONE = "done"

    client = models.CharField(max_length=64)  # "token:<id>" or "user:<id>"
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_client_key_unique",
        violation_error_message=_("This Idempotency-Key was already used by this client."))]

    def __str__(self) -> str:
        return f"{self.client} {self.method} {self.path} [{self.key}]"


# Accounts have history too (who created, changed, deactivated or deleted a user, and what changed). The
# user model is swappable and belongs to another app, so it is registered here and its historical model
# (and migration) lives in this app. Never the password hash; never the last login (bookkeeping, and a
# login is not a change: ``coordination.history`` skips the history row of a save of last_login only).
USER_HISTORY_EXCLUDED = ["password", "last_login"]
simple_history.register(get_user_model(), app="coordination", excluded_fields=USER_HISTORY_EXCLUDED)

# Two-factor devices (django-otp's models, registered here like the user): who enrolled an authenticator app,
# when it was confirmed or removed, when recovery codes were regenerated or one was used (the reason on
# the row says which). Never the secret key, never the per-login bookkeeping (last counter, drift,
# throttling, last use): a save that changes only those leaves no row (``coordination.history``).
OTP_BOOKKEEPING = ["throttling_failure_timestamp", "throttling_failure_count", "last_used_at"]
TOTP_HISTORY_EXCLUDED = ["key", "drift", "last_t", *OTP_BOOKKEEPING]
simple_history.register(TOTPDevice, app="coordination", excluded_fields=TOTP_HISTORY_EXCLUDED)
simple_history.register(StaticDevice, app="coordination", excluded_fields=OTP_BOOKKEEPING)
