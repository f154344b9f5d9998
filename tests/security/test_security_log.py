import json
import logging

import pytest
from django.test import Client

from coordination.security import JsonFormatter


@pytest.mark.django_db
def test_failed_login_is_a_json_security_line(caplog, coordinator):
    with caplog.at_level(logging.WARNING, logger="coordination.security"):
        response = Client().post("/admin/login/", {"username": "coordinator", "password": "wrong"})
    assert response.status_code == 200  # the login form again, with an error
    records = [r for r in caplog.records if r.name == "coordination.security"]
    assert [r.getMessage() for r in records] == ["login_failed"]
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["event"] == "login_failed"
    assert line["username"] == "coordinator"
    assert line["path"] == "/admin/login/"
    assert line["status"] == 401
