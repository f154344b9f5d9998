"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL says so."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from coordination.access import CELL, Scope
from coordination.models import Membership
from tests import factories

# Property tests judge correctness, not speed: on a loaded 2-core machine (parallel workers, a browser, a
# Celery worker) input generation can take seconds, which Hypothesis would report as a failure.
hypothesis_settings.register_profile("aid", deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
hypothesis_settings.load_profile("aid")


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


requires_postgres = pytest.mark.skipif(
    "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
    reason="needs PostgreSQL (set DATABASE_URL=postgres://...)",
)


@pytest.fixture(autouse=True)
def default_language_after_each_test():
    """A request in French leaves French active in the thread (the language middleware activates it and
    nothing deactivates it): the next test starts in the default language again, whatever ran before."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Tasks run in-process unless a test is marked ``worker`` (those talk to a real worker)."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = not request.node.get_closest_marker("worker")
    yield
    app.conf.task_always_eager = before


# --- Two-factor authentication in tests ----------------------------------------------------------
# Every ``force_login`` (Django's Client, pytest-django's client/admin_client, DRF's APIClient, and a
# ``Client()`` built in a test) gives an OTP-verified session: the user gets a confirmed TOTP device
# with TEST_TOTP_KEY and the session carries it, as after a real second step. Tests of the 2FA rule
# itself log in through the password form instead (tests/security/test_2fa.py), which stays unverified.
TEST_TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex


def totp_device_for(user):
    """The user's confirmed TOTP device with the known test key (created if missing)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test", key=TEST_TOTP_KEY, confirmed=True)


def current_totp(device) -> str:
    """The code an authenticator app would show now for ``device``."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


_original_force_login = Client.force_login


def _force_login_verified(self, user, backend=None):
    _original_force_login(self, user, backend)
    device = totp_device_for(user)
    session = self.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def no_otp_throttle(settings):
    """django-otp throttles after a wrong code (1 s, doubling); tests that check the throttle turn it back on
    (``otp_throttle``) and reset it instead of sleeping."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def otp_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    settings.OTP_STATIC_THROTTLE_FACTOR = 1


def otp_throttle_reset(device) -> None:
    """What waiting out the throttle does: the device's failure count and time cleared."""
    type(device).objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)


@pytest.fixture(autouse=True)
def otp_verified_force_login(monkeypatch):
    monkeypatch.setattr(Client, "force_login", _force_login_verified)


@pytest.fixture
def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def cell_scope() -> Scope:
    return CELL


@pytest.fixture
def nations(db):
    """Three nations: two allies (USA, POL) and the recipient (UKR)."""
    return {
        "USA": factories.NationFactory(code="USA", name="United States"),
        "POL": factories.NationFactory(code="POL", name="Poland"),
        "UKR": factories.NationFactory(code="UKR", name="Ukraine", role="recipient"),
    }


@pytest.fixture
def item(db):
    return factories.ItemFactory(name="155 mm HE projectile", unit="rounds")


def make_user(username: str, *, nation=None, is_cell: bool = False, staff: bool = True):
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-1", is_staff=staff)
    Membership.objects.create(user=user, nation=nation, is_cell=is_cell)
    return user


@pytest.fixture
def coordinator(db):
    return make_user("coordinator", is_cell=True)


@pytest.fixture
def polish_officer(nations):
    return make_user("pol-officer", nation=nations["POL"])


@pytest.fixture
def us_officer(nations):
    return make_user("usa-officer", nation=nations["USA"])
