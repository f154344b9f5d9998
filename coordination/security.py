"""Security events as structured JSON log lines (logger ``coordination.security``).

Refused access — a 403/404 on another nation's object, a failed login, a failed or throttled
two-factor code, a revoked, expired or unknown token — is logged with the client, nation, path,
method and reason, one JSON object per line. Fields: ``time level logger event reason status client
nation path method remote_addr`` plus event-specific ones (``username``, ``target_nation``,
``token_id``, ``token_name``, ``device`` ...). ``client`` is ``user:<username>``,
``token:<prefix>`` or ``user:anonymous``.
"""

from __future__ import annotations

import json
import logging

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from coordination.access import scope_for

logger = logging.getLogger("coordination.security")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, event and the record's ``extra`` fields."""

    RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in self.RESERVED})
        return json.dumps(payload, default=str, ensure_ascii=False)


def _client_of(request) -> dict:
    if request is None:
        return {}
    user = getattr(request, "user", None)

    scope = scope_for(user)
    auth = getattr(request, "auth", None)
    client = (
        f"token:{getattr(auth, 'prefix', '')}" if auth is not None and hasattr(auth, "prefix")
        else f"user:{getattr(user, 'username', '') or 'anonymous'}"
    )
    token = {"token_id": auth.pk, "token_name": auth.name} if hasattr(auth, "prefix") else {}
    return {
        "client": client,
        **token,
        "nation": scope.nation_code or ("CELL" if scope.is_cell else None),
        "path": getattr(request, "path", None),
        "method": getattr(request, "method", None),
        "remote_addr": request.META.get("REMOTE_ADDR") if hasattr(request, "META") else None,
    }


def log_refused(request, *, reason: str, status: int, **details) -> None:
    """Record a refused access (403/404 on another nation's object, revoked token, ...)."""
    log_event(request, "access_refused", reason=reason, status=status, **details)


def log_event(request, event: str, *, reason: str, status: int, **details) -> None:
    """One security event (``access_refused``, ``login_failed``, ``otp_failed`` ...) as a JSON line."""
    logger.warning(event, extra={"reason": reason, "status": status, **_client_of(request), **details})


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username")
    logger.warning(
        "login_failed",
        extra={"reason": "bad credentials", "status": 401, "username": username, **_client_of(request)},
    )
