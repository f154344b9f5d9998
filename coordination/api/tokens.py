"""API tokens for national systems: issue, verify, revoke. Only a SHA-256 hash of the secret is stored.

A key looks like ``aid_<prefix>_<secret>``: the prefix (10 hex characters) finds the row with one
indexed query, the secret (256 random bits) is compared against the stored hash in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.utils import timezone

from coordination.models import ApiToken, Nation
from coordination.services import validate_instance

KEY_TAG = "aid"
PREFIX_BYTES = 5  # 10 hex characters
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


def token_hash(*, secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(key: str) -> tuple[str, str] | None:
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_TAG or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def token_issue(*, nation: Nation, name: str, created_by=None, expires_at: dt.datetime | None = None
                ) -> tuple[ApiToken, str]:
    """Create a token bound to ``nation``. Returns the row and the key, which is never stored or shown again."""
    name = name.strip() if isinstance(name, str) else name
    if not name:
        raise ValidationError({"name": ["Give the token a name (e.g. the national system it is for)."]})
    if isinstance(expires_at, dt.datetime) and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    while True:
        prefix = secrets.token_hex(PREFIX_BYTES)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    secret = secrets.token_urlsafe(32)
    token = ApiToken(nation=nation, name=name, prefix=prefix, key_hash=token_hash(secret=secret),
                     created_by=created_by if getattr(created_by, "pk", None) else None, expires_at=expires_at)
    validate_instance(token)  # the one rule for what a field takes: type, length, NUL, surrogates
    token._history_user = token.created_by
    token.save()
    return token, f"{KEY_TAG}_{prefix}_{secret}"


def token_verify(*, key: str, now: dt.datetime | None = None) -> ApiToken | None:
    """The active token for ``key``, or None (unknown, wrong secret, revoked or expired).

    Records the last-used time at most once a minute (one cheap UPDATE, no history row).
    """
    parts = _split(key)
    if parts is None:
        return None
    prefix, secret = parts
    token = ApiToken.objects.select_related("nation").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, token_hash(secret=secret)):
        return None
    now = now or timezone.now()
    if token.revoked_at is not None and token.revoked_at <= now:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, token_id: int, user=None) -> ApiToken:
    token = ApiToken.objects.get(pk=token_id)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token._history_user = user if getattr(user, "pk", None) else None
        token.save(update_fields=["revoked_at"])
    return token


def token_status(token: ApiToken, *, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    if token.revoked_at is not None and token.revoked_at <= now:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"
