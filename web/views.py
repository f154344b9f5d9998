from __future__ import annotations

import logging

import redis
from celery import current_app as app
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import JsonResponse
from django.views.defaults import bad_request as html_bad_request
from django.views.defaults import server_error as html_server_error

from coordination.api.exceptions import too_big_message

logger = logging.getLogger(__name__)
PROBE_TIMEOUT = 1.0


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001  reported, not raised: this is the health answer
        logger.warning("healthz: the database does not answer: %s", exc)
        return "unavailable"


def _redis_ping(url: str) -> str:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT)
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        logger.warning("healthz: Redis at %s does not answer: %s", url.rsplit("@", 1)[-1], exc)
        return "unavailable"


def redis_status() -> dict[str, str]:
    """Each Redis role: the Celery broker (task queue) and the cache (API throttle counters):
    "ok", "unavailable", or "not used" (in-process tasks; a per-process memory cache)."""
    broker = app.conf.broker_url or ""
    cache = settings.CACHES["default"]
    cache_url = cache.get("LOCATION") if cache["BACKEND"].endswith("RedisCache") else None
    if isinstance(cache_url, list | tuple):
        cache_url = cache_url[0]
    return {
        "broker": _redis_ping(broker) if broker.startswith(("redis://", "rediss://"))
        and not app.conf.task_always_eager else "not used",
        "cache": _redis_ping(cache_url) if cache_url else "not used",
    }


def healthz(request):
    """Health, for load balancers and the compose health check: database and Redis, reported apart.

    200 while the database answers (Redis down is ``"status": "degraded"``: the API still serves reads and
    writes, throttling is off and recomputes wait), so it stays usable as a liveness probe; 503 when the
    database does not answer (nothing can be served)."""
    database = _database()
    roles = redis_status()
    if database != "ok":
        status = "failing"
    elif "unavailable" in roles.values():
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse({"status": status, "database": database, "redis": roles},
                        status=503 if database != "ok" else 200)


def _api_json(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    """Django's 400 (a suspicious request refused before or outside the API's views): JSON under /api/."""
    if not _api_json(request):
        return html_bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"detail": too_big_message()}, status=413)
    return JsonResponse({"detail": "The request was refused as malformed."}, status=400)


def server_error(request):
    """Django's 500: JSON under /api/ (a client parses it), the HTML page elsewhere."""
    if not _api_json(request):
        return html_server_error(request)
    return JsonResponse({"detail": "Internal server error; it has been logged."}, status=500)
