"""Real-browser tests: Playwright driving Debian's Chromium against pytest-django's live_server.

Never downloads a browser: it uses /usr/bin/chromium (``apt-get install chromium``). Without it the
tests skip with a reason, except under ``AID_REQUIRE_SERVICES=1`` (CI), where they fail instead.
Screenshots go to tmp_path and to tests/browser/artifacts/ (ignored by git) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings as django_settings
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class SerialWSGIServer(ThreadedWSGIServer):
    """The live server answering one request at a time (each still on its own thread, so a kept-alive
    connection never blocks another). On SQLite the test database is in memory and the live server's threads
    share the test's one connection: a page and the panel htmx loads right after it (the trends, the
    sourcing panel) at once could leave both requests waiting inside SQLite for ever (seen: the suite hung).
    PostgreSQL gives each thread its own connection and keeps the threaded server."""

    _lock = threading.Lock()

    def set_app(self, application):
        lock = self._lock

        def one_at_a_time(environ, start_response):
            with lock:
                return application(environ, start_response)

        super().set_app(one_at_a_time)


if django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = SerialWSGIServer


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Playwright's sync API keeps an event loop running in this thread,
    so Django's async-safety check is relaxed (DJANGO_ALLOW_ASYNC_UNSAFE) only while it runs."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium (browsers are never downloaded)"
        if os.environ.get("AID_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@dataclass
class Session:
    page: object
    base_url: str
    tmp_path: Path
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def shot(self, name: str) -> Path:
        path = self.tmp_path / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(path, ARTIFACTS / path.name)
        return path

    def login(self, username: str, password: str = "pw-for-tests-1", next_path: str = "/", *,
              otp: bool = True) -> None:
        """Log in through the form. With ``otp`` (default) the user gets a confirmed TOTP device with the
        test key first, and the two-factor step is passed by typing the current code, as a person would."""
        device = None
        if otp:
            from django.contrib.auth import get_user_model

            from tests.conftest import totp_device_for

            device = totp_device_for(get_user_model().objects.get(username=username))
        self.page.goto(self.url(next_path))
        assert "/accounts/login/" in self.page.url
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.click("main form button[type=submit]")
        assert "/accounts/login/" not in self.page.url, "login failed"
        if device is not None and "/accounts/2fa/verify/" in self.page.url:
            self.type_totp(device)
            assert "/accounts/2fa/" not in self.page.url, "two-factor step failed"

    def type_totp(self, device) -> None:
        """Type the current TOTP code of ``device`` into the code form and submit it."""
        from tests.conftest import current_totp

        # A code is accepted once per 30 s step; a second login in the same step needs the counter reset.
        type(device).objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
        device.refresh_from_db()
        self.page.fill("#id_otp_token", current_totp(device))
        with self.page.expect_navigation():
            self.page.click("main form button[type=submit]")


@pytest.fixture
def session(browser, live_server, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    s = Session(page=page, base_url=live_server.url, tmp_path=tmp_path)
    page.on("console", lambda message: message.type == "error" and s.console_errors.append(message.text))
    page.on("pageerror", lambda error: s.console_errors.append(str(error)))

    def on_request(request):
        host = urlparse(request.url).hostname or ""
        if request.url.startswith(("http://", "https://", "ws://", "wss://")) and host not in LOCAL_HOSTS:
            s.foreign_requests.append(request.url)

    page.on("request", on_request)
    yield s
    context.close()
