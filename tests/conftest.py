"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL says so."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from coordination.access import CELL, Scope
from coordination.models import Membership
from tests import factories


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


requires_postgres = pytest.mark.skipif(
    "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
    reason="needs PostgreSQL (set DATABASE_URL=postgres://...)",
)


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Tasks run in-process unless a test is marked ``worker`` (those talk to a real worker)."""
    from coordination.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = not request.node.get_closest_marker("worker")
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def cell_scope() -> Scope:
    return CELL


@pytest.fixture
def nations(db):
    """Three nations: two allies (USA, POL) and the recipient (UKR)."""
    return {
        "USA": factories.NationFactory(code="USA", name="United States"),
        "POL": factories.NationFactory(code="POL", name="Poland"),
        "UKR": factories.NationFactory(code="UKR", name="Ukraine", role="recipient"),
    }


@pytest.fixture
def item(db):
    return factories.ItemFactory(name="155 mm HE projectile", unit="rounds")


def make_user(username: str, *, nation=None, is_cell: bool = False, staff: bool = True):
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-1", is_staff=staff)
    Membership.objects.create(user=user, nation=nation, is_cell=is_cell)
    return user


@pytest.fixture
def coordinator(db):
    return make_user("coordinator", is_cell=True)


@pytest.fixture
def polish_officer(nations):
    return make_user("pol-officer", nation=nations["POL"])


@pytest.fixture
def us_officer(nations):
    return make_user("usa-officer", nation=nations["USA"])
