"""The authentication backend: Django's ``ModelBackend`` whose per-request read of the signed-in user
brings the user's Membership and its nation in the same query (a LEFT JOIN), and, while the OTP
middleware (``web.middleware.OTPMiddleware``) asks for it, whether the session's OTP device is one of
the user's confirmed devices (django-otp's check, in the same statement). So the access scope
(``coordination.access.scope_for``), the dashboard language and the two-factor check cost no query of
their own: the per-request floor is the session and this read."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef
from django_otp.models import Device

# The persistent id of the OTP device the session names, while the OTP middleware loads the user.
_session_device: ContextVar[str | None] = ContextVar("aid_session_device", default=None)


@contextmanager
def checking_device(persistent_id: str | None):
    """Within: ``MembershipBackend.get_user`` also checks this device (``user._otp_device_confirmed``)."""
    token = _session_device.set(persistent_id)
    try:
        yield
    finally:
        _session_device.reset(token)


def device_queryset(persistent_id: str):
    """The devices a persistent id (``app_label.model/id``, django-otp's) names; None when it names none."""
    try:
        model_label, device_id = persistent_id.rsplit("/", 1)
        app_label, model_name = model_label.split(".")
        model = apps.get_model(app_label, model_name)
        pk = int(device_id)
    except (ValueError, LookupError):
        return None
    return model.objects.filter(pk=pk) if issubclass(model, Device) else None


class MembershipBackend(ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        qs = model._default_manager.select_related("membership__nation")
        persistent_id = _session_device.get()
        devices = device_queryset(persistent_id) if persistent_id else None
        if devices is not None:  # django-otp's rule: the device exists, is the user's and is confirmed
            qs = qs.annotate(_otp_device_confirmed=Exists(devices.filter(user_id=OuterRef("pk"), confirmed=True)))
        try:
            user = qs.get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
