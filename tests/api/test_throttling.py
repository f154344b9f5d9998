"""Throttling per client: one client's budget does not spend another's."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_rates(settings):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"client": "3/min", "bulk": "1/min"}
    settings.REST_FRAMEWORK = rest


def test_each_client_has_its_own_budget(tight_rates, pol, usa):
    assert [pol.get("/api/v1/nations/").status_code for _ in range(4)] == [200, 200, 200, 429]
    throttled = pol.get("/api/v1/nations/")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert usa.get("/api/v1/nations/").status_code == 200


def test_bulk_writes_have_their_own_lower_rate(tight_rates, pol, item):
    rows = [{"item": item.pk, "quantity": 1, "as_of": "2024-01-01"}]
    assert pol.post("/api/v1/stock-reports/bulk/", rows, format="json").status_code == 201
    assert pol.post("/api/v1/stock-reports/bulk/", rows, format="json").status_code == 429
    assert pol.get("/api/v1/nations/").status_code == 200


# --- Issue 13 §8: the count is atomic under concurrency -----------------------------------------------

import os  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402
from types import SimpleNamespace  # noqa: E402


def _redis_cache_url() -> str | None:
    """The test Redis (REDIS_URL, as CI sets it), or None when none answers (CI then fails instead of skipping)."""
    from django.conf import settings

    url = settings.REDIS_URL
    reason = None
    if not url.startswith(("redis://", "rediss://")):
        reason = "needs a Redis (set REDIS_URL=redis://127.0.0.1:6379/<db>)"
    else:
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        except Exception as exc:  # noqa: BLE001
            reason = f"Redis at {url} does not answer: {exc}"
    if reason and os.environ.get("AID_REQUIRE_SERVICES") == "1":
        pytest.fail(f"AID_REQUIRE_SERVICES=1 but {reason}")
    return None if reason else url


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request):
    """The cache the throttle counts in: per-process memory, or a real Redis (a key prefix of its own;
    nothing is flushed: the override ends before the suite's cache.clear() runs)."""
    from django.test import override_settings

    if request.param == "redis":
        url = _redis_cache_url()
        if url is None:
            pytest.skip("no Redis: set REDIS_URL")
        caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                              "KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}", "TIMEOUT": 3600}}
    else:
        caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                              "LOCATION": f"throttle-{uuid.uuid4().hex}"}}
    with override_settings(CACHES=caches):
        yield request.param


def _hammer(threads: int, per_thread: int, ident: str) -> int:
    from coordination.api.throttling import ClientRateThrottle

    allowed = []
    barrier = threading.Barrier(threads)
    request = SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=ident))

    def client():
        barrier.wait()
        mine = 0
        for _ in range(per_thread):
            if ClientRateThrottle().allow_request(request, view=None):
                mine += 1
        allowed.append(mine)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(allowed)


def test_concurrent_clients_of_one_token_never_pass_the_budget(shared_cache, settings):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"client": "100/hour", "bulk": "1/hour"}
    settings.REST_FRAMEWORK = rest
    # 16 clients at once, 30 requests each: exactly the budget passes (DRF's list-based count let more through).
    assert _hammer(threads=16, per_thread=30, ident=uuid.uuid4().hex) == 100


def test_concurrent_api_requests_with_one_token(shared_cache, settings, transactional_db, nations):
    """The same through the API: threads with one POL token against a budget of 40."""
    from coordination.api.tokens import token_issue
    from tests.api.conftest import client_with

    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"client": "40/hour", "bulk": "1/hour"}
    settings.REST_FRAMEWORK = rest
    key = token_issue(nation=nations["POL"], name="hammer")[1]
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def client():
        from django.db import connection

        api = client_with(key)
        barrier.wait()
        try:
            for _ in range(8):
                statuses.append(api.get("/api/v1/whoami/").status_code)
        finally:
            connection.close()

    workers = [threading.Thread(target=client) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(statuses) == 64
    assert statuses.count(200) == 40 and statuses.count(429) == 24


# --- Issue 13 §7: Redis down degrades throttling, it does not fail requests -----------------------------

def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on leaving: nothing listens there


@pytest.fixture
def cache_down():
    from django.test import override_settings

    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                               "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
                                               "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}):
        yield


def test_reads_and_writes_work_without_the_cache_and_say_so(cache_down, pol, nations, item, caplog):
    from coordination.api import throttling

    throttling._last_warning[0] = 0.0
    assert pol.get("/api/v1/whoami/").status_code == 200
    assert pol.get("/api/v1/pledges/").status_code == 200
    body = {"item": item.pk, "quantity": 5, "as_of": "2024-01-01"}
    first = pol.post("/api/v1/stock-reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    again = pol.post("/api/v1/stock-reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"  # idempotency is in the database
    assert "API throttling is off: the cache is unreachable" in caplog.text
