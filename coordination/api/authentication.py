"""Token authentication for national systems: ``Authorization: Token <key>`` (or ``Bearer <key>``).

The authenticated ``request.user`` is an :class:`ApiClient`: it carries the token's nation as
``aid_scope``, which the access rule (``coordination.access.scope_for``) reads.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from coordination.access import Scope
from coordination.api.tokens import _split, token_status, token_verify
from coordination.models import ApiToken
from coordination.security import log_refused

KEYWORDS = ("token", "bearer")


class ApiClient:
    """A machine client bound to one nation (not a Django user; it has no password and no admin access)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, token: ApiToken):
        self.token = token
        self.nation = token.nation
        self.aid_scope = Scope(nation_id=token.nation_id, nation_code=token.nation.code,
                               nation_role=token.nation.role)

    @property
    def client_id(self) -> str:
        return f"token:{self.token.pk}"

    @property
    def username(self) -> str:
        return f"token:{self.token.name}"

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def __str__(self) -> str:
        return f"API token {self.token.name!r} ({self.nation.code})"


def client_id(user) -> str:
    """A stable id for throttling and idempotency: ``token:<id>`` or ``user:<id>``."""
    if isinstance(user, ApiClient):
        return user.client_id
    return f"user:{user.pk}"


def _log_token_refused(request, key: str) -> None:
    """Say in the security log why a token was refused: unknown (or wrong secret), revoked or expired."""
    request = getattr(request, "_request", request)  # the Django request: DRF's would authenticate again
    parts = _split(key)
    token = ApiToken.objects.select_related("nation").filter(prefix=parts[0]).first() if parts else None
    if token is None:
        log_refused(request, reason="unknown token", status=401, token_prefix=parts[0] if parts else None)
        return
    status = token_status(token)
    reason = f"{status} token" if status != "active" else "wrong token secret"
    log_refused(request, reason=reason, status=401, token_id=token.pk, token_name=token.name,
                token_nation=token.nation.code)


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: use 'Token <key>'.")
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = token_verify(key=key)
        if token is None:
            _log_token_refused(request, key)
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return ApiClient(token), token

    def authenticate_header(self, request) -> str:
        return 'Token realm="api"'


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "coordination.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A national system's token: `Authorization: Token aid_xxxxxxxxxx_...` "
                           "(`Bearer` is accepted too). Issued by the cell with `manage.py issue_token`.",
        }
