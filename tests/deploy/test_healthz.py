"""/healthz: database and Redis reported apart; a liveness probe that works with production settings
(issue 13 §7, §9). The compose file's own health-check command is run against gunicorn started with
DEBUG=0 (SECURE_SSL_REDIRECT on, ALLOWED_HOSTS without 127.0.0.1), with Redis up or down."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- In process -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_reports_database_and_redis_apart(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok",
                               "redis": {"broker": "not used", "cache": "not used"}}


@pytest.mark.django_db
def test_redis_down_is_degraded_not_dead(client, settings):
    from django.test import override_settings

    from config.celery import app

    url = f"redis://127.0.0.1:{closed_port()}/0"
    before = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    try:
        with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                   "LOCATION": url}}):
            response = client.get("/healthz")
    finally:
        app.conf.broker_url, app.conf.task_always_eager = before
    assert response.status_code == 200  # still alive: the API serves without Redis
    assert response.json() == {"status": "degraded", "database": "ok",
                               "redis": {"broker": "unavailable", "cache": "unavailable"}}


@pytest.mark.django_db
def test_database_down_is_a_503(client, monkeypatch):
    from web import views

    monkeypatch.setattr(views, "_database", lambda: "unavailable")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable" and response.json()["status"] == "failing"


# --- The compose health check, as written, against production settings ---------------------------------

def _web():
    return COMPOSE["services"]["web"]


def _free_port() -> int:
    return closed_port()


@pytest.fixture(params=["redis not used", "redis down"])
def production_server(request, tmp_path):
    """gunicorn with the compose web service's WSGI module and DEBUG=0, on a free port."""
    wsgi = re.search(r"gunicorn (\S+)", _web()["command"]).group(1)
    port = _free_port()
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "test-" + "x" * 50, "ALLOWED_HOSTS": "aid.example.org",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PYTHONPATH": str(ROOT)}
    for name in ("CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL"):
        env.pop(name, None)
    if request.param == "redis down":
        down = f"redis://127.0.0.1:{closed_port()}/0"
        env.update({"CELERY_BROKER_URL": down, "REDIS_URL": down, "CACHE_URL": down})
    process = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), wsgi, "--bind", f"127.0.0.1:{port}",
                                "--workers", "1", "--chdir", str(ROOT)], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)
        yield port, request.param
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_compose_healthcheck_passes_with_production_settings(production_server):
    port, redis = production_server
    test = _web()["healthcheck"]["test"]
    assert test[0] == "CMD"
    command = [sys.executable if part == "python" else part.replace(":8000/", f":{port}/") for part in test[1:]]
    assert any(f"127.0.0.1:{port}/healthz" in part for part in command), "the command probes /healthz on :8000"
    result = subprocess.run(command, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30).read().decode()
    assert ('"status": "ok"' in body) if redis == "redis not used" else ('"status": "degraded"' in body)


def test_other_paths_still_redirect_to_https(production_server):
    port, _ = production_server
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/", headers={"Host": "aid.example.org"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoRedirect).open(request, timeout=30)
    assert answer.value.code == 301
    assert answer.value.headers["Location"] == "https://aid.example.org/api/v1/"
    # Behind the TLS-terminating proxy (SECURE_PROXY_SSL_HEADER): the proxy's X-Forwarded-Proto says https.
    proxied = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/",
                                     headers={"Host": "aid.example.org", "X-Forwarded-Proto": "https"})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoRedirect).open(proxied, timeout=30)
    assert answer.value.code == 401  # served (and asks for a token), not redirected
