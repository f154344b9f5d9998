"""API fixtures: tokens for POL and USA, clients for every role (NetBox style)."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from coordination.api.tokens import token_issue


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    cache.clear()
    yield
    cache.clear()


def client_with(key: str | None = None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def pol_token(nations):
    return token_issue(nation=nations["POL"], name="POL logistics")


@pytest.fixture
def usa_token(nations):
    return token_issue(nation=nations["USA"], name="US LOGSA feed")


@pytest.fixture
def pol(pol_token) -> APIClient:
    return client_with(pol_token[1])


@pytest.fixture
def usa(usa_token) -> APIClient:
    return client_with(usa_token[1])


@pytest.fixture
def cell(coordinator) -> APIClient:
    client = APIClient()
    client.force_login(coordinator)
    return client


@pytest.fixture
def anon(db) -> APIClient:
    return APIClient()


@pytest.fixture
def expired(nations) -> APIClient:
    token, key = token_issue(nation=nations["POL"], name="old POL feed",
                             expires_at=timezone.now() + dt.timedelta(seconds=1))
    token.expires_at = timezone.now() - dt.timedelta(minutes=1)
    token.save(update_fields=["expires_at"])
    return client_with(key)


@pytest.fixture
def revoked(nations) -> APIClient:
    from coordination.api.tokens import token_revoke

    token, key = token_issue(nation=nations["POL"], name="revoked POL feed")
    token_revoke(token_id=token.pk)
    return client_with(key)


@pytest.fixture
def roles(pol, usa, cell, anon, expired, revoked) -> dict[str, APIClient]:
    return {"pol": pol, "usa": usa, "cell": cell, "anon": anon, "expired": expired, "revoked": revoked}
