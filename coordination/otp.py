"""Two-factor authentication: who needs it, enrolment, verification, recovery codes (django-otp).

Devices are django-otp's own: one ``TOTPDevice`` (an authenticator app, 6-digit codes every 30 s,
throttled after failures) and one ``StaticDevice`` holding single-use recovery codes. Views call
these functions; nothing else writes devices.
"""

from __future__ import annotations

import re
from base64 import b32encode
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination.access import scope_for
from coordination.history import RECOVERY_CODE_USED, RECOVERY_CODES_REGENERATED, save_with_reason

TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def user_has_confirmed_device(user) -> bool:
    cached = getattr(user, "_otp_has_device", None)
    if cached is None:
        cached = (TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()
                  or StaticDevice.objects.filter(user_id=user.pk, confirmed=True).exists())
        user._otp_has_device = cached
    return cached


def otp_required_for(user) -> bool:
    """Cell staff always; anyone else once they have enrolled (admin visits: see the middleware)."""
    return scope_for(user).is_cell or user_has_confirmed_device(user)


def totp_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed: base32, in groups of four."""
    text = b32encode(device.bin_key).decode()
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (rendered here; no script, no style attribute)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, light="#fff", dark="#000")


def totp_pending_device(*, user) -> TOTPDevice:
    """The user's unconfirmed TOTP device (created once, so the secret survives a page reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


@transaction.atomic
def totp_confirm(*, user, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm an enrolment with a first code; returns fresh recovery codes, or None if the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
    if not device.verify_token(normalise(token)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    user._otp_has_device = True
    return recovery_codes_regenerate(user=user)


@transaction.atomic
def recovery_codes_regenerate(*, user) -> list[str]:
    """Replace the user's recovery codes with a new set (each usable once); returns them to show once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.OTP_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    _history_note(device, RECOVERY_CODES_REGENERATED)
    return codes


def _history_note(device, reason: str) -> None:
    """A history row on the device naming what happened (the codes themselves are never recorded)."""
    save_with_reason(device, reason, update_fields=["name"])


def normalise(token: str) -> str:
    return re.sub(r"[\s-]", "", token or "").lower()


@dataclass(frozen=True)
class VerifyResult:
    device: object | None
    throttled: bool = False
    kind: str = "totp"


def otp_verify(*, user, token: str) -> VerifyResult:
    """Check a code: six digits go to the authenticator device, anything else to the recovery codes.

    django-otp throttles each device after a failure (1, 2, 4, 8 ... s); a throttled device refuses
    even a right code, and the result says so.
    """
    token = normalise(token)
    kind = "totp" if re.fullmatch(r"\d{6}", token) else "recovery"
    model = TOTPDevice if kind == "totp" else StaticDevice
    device = model.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None or not token:
        return VerifyResult(device=None, kind=kind)
    if not device.verify_is_allowed()[0]:
        return VerifyResult(device=None, throttled=True, kind=kind)
    verified = verify_token(user, device.persistent_id, token)
    if verified is not None and kind == "recovery":
        _history_note(verified, RECOVERY_CODE_USED)
    return VerifyResult(device=verified, kind=kind)


@dataclass(frozen=True)
class OtpState:
    totp: TOTPDevice | None
    recovery_left: int

    @property
    def enabled(self) -> bool:
        return self.totp is not None


def otp_state(*, user) -> OtpState:
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return OtpState(totp=totp, recovery_left=left)
