"""Fixtures: a real SMTP server and a real HTTP receiver on localhost, email settings pointing at the SMTP server."""

from __future__ import annotations

import pytest

from tests.notifications.servers import HttpReceiver, SmtpServer
from tests.worker.conftest import services_available, worker_factory  # noqa: F401  (test_worker.py: a real worker)


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_to_smtp(settings, smtp):
    """Django sends through the real SMTP server (the test runner's in-memory outbox replaced)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp


@pytest.fixture
def receiver():
    server = HttpReceiver().start()
    yield server
    server.stop()
