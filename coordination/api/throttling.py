"""Throttling per client: each token (and each session user) has its own budget.

Rates live in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` under ``client`` (every request) and
``bulk`` (bulk writes); they are read at request time so tests and operators can change them.

The count is atomic: one counter per client and fixed window in Django's cache, created with ``add``
and raised with ``incr`` (Redis ``INCR`` with an expiry; under a lock in the local-memory cache), so
concurrent requests from one token can never pass the budget between them (DRF's own throttle reads
a list, appends and writes it back: two requests at once both count as one).

Without the cache (Redis unreachable) throttling fails open: the request is served and a warning is
logged (at most once a minute per process). Reads and writes keep working through a cache outage;
idempotency does not depend on the cache (its records are in the database).
"""

from __future__ import annotations

import logging
import math
import time

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from coordination.api.authentication import client_id

logger = logging.getLogger(__name__)
WARN_EVERY = 60.0
_last_warning = [0.0]


def _warn_cache_down(exc: Exception) -> None:
    now = time.monotonic()
    if now - _last_warning[0] >= WARN_EVERY:
        _last_warning[0] = now
        logger.warning("API throttling is off: the cache is unreachable (%s: %s). Requests are served "
                       "unthrottled until it is back.", type(exc).__name__, exc)


def window_count(key: str, duration: int) -> int:
    """Add one to ``key``'s counter for this window and return the new count (atomic)."""
    for _ in range(3):
        if cache.add(key, 1, timeout=duration + 1):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: start the window again
            continue
    return cache.incr(key)


class ClientRateThrottle(SimpleRateThrottle):
    scope = "client"
    cache_format = "throttle:%(scope)s:%(ident)s"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": client_id(request.user)}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.window_ends = (window + 1) * self.duration
        try:
            count = window_count(f"{key}:{window}", self.duration)
        except Exception as exc:  # noqa: BLE001  the cache is down: serve the request, say so in the log
            _warn_cache_down(exc)
            return True
        if count > self.num_requests:
            self.now = now
            return False
        return True

    def wait(self):
        return max(1, math.ceil(self.window_ends - self.now))


class BulkRateThrottle(ClientRateThrottle):
    scope = "bulk"

    def allow_request(self, request, view):
        if getattr(view, "action", None) != "bulk":
            return True
        return super().allow_request(request, view)
