"""Throttling per client: each token (and each session user) has its own budget.

Rates live in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` under ``client`` (every request) and
``bulk`` (bulk writes); they are read at request time so tests and operators can change them.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from coordination.api.authentication import client_id


class ClientRateThrottle(SimpleRateThrottle):
    scope = "client"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": client_id(request.user)}


class BulkRateThrottle(ClientRateThrottle):
    scope = "bulk"

    def allow_request(self, request, view):
        if getattr(view, "action", None) != "bulk":
            return True
        return super().allow_request(request, view)
