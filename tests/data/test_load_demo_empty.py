"""load_demo --if-empty, on an empty and a non-empty database."""

import time
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from coordination.models import Nation
from pledges.models import Pledge


@pytest.mark.django_db
def test_if_empty_skips_when_nations_exist(db):
    Nation.objects.create(code="USA", name="United States")
    out = StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "not loaded" in out.getvalue()
    assert Nation.objects.count() == 1 and not Pledge.objects.exists()


@pytest.mark.django_db
def test_if_empty_loads_an_empty_database(db):
    started = time.monotonic()
    call_command("load_demo", "--if-empty", stdout=StringIO())
    assert time.monotonic() - started < 30  # `make run` waits for it: well under a minute (about 2 s here)
    assert Nation.objects.count() == 34
    assert not get_user_model().objects.filter(username="officer-pol").exists()  # logins only with DEBUG
