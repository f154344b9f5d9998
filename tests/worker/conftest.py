"""A real Celery worker for the tests in this folder.

Needs PostgreSQL (the worker and the test share the test database, so tests here commit:
``transaction=True``) and a reachable Redis broker (``CELERY_BROKER_URL``/``REDIS_URL``). Without
them the tests skip with the reason; with ``AID_REQUIRE_SERVICES=1`` (CI) they fail instead.
Each test gets its own queue name, purged before and after, and the worker subprocess is always
killed at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from stockpiles import engine

ROOT = Path(__file__).resolve().parents[2]


def _unavailable() -> str | None:
    if connection.vendor != "postgresql":
        return "real-worker tests need PostgreSQL (set DATABASE_URL=postgres://...)"
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return "real-worker tests need a Redis broker (set REDIS_URL=redis://127.0.0.1:6379/15)"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        return f"Redis broker at {url} does not answer: {exc}"
    return None


@pytest.fixture
def services_available():
    reason = _unavailable()
    if reason:
        if os.environ.get("AID_REQUIRE_SERVICES") == "1":
            pytest.fail(f"AID_REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s.get("USER") or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{quote(s['NAME'], safe='')}"


def _use_queue(app, name: str | None) -> None:
    """Point the publishing side (this process) at a queue; reset Celery's cached routing."""
    app.conf.task_default_queue = name or settings.CELERY_TASK_DEFAULT_QUEUE
    for cached in ("queues", "default_queue", "router"):
        app.amqp.__dict__.pop(cached, None)


class Worker:
    def __init__(self, app, queue: str, log_dir: Path):
        self.app = app
        self.queue = queue
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.name = ""
        self.log_path: Path | None = None

    def start(self, *, sleep_seconds: float = 0.0, timeout: float = 30.0) -> Worker:
        self.name = f"aid-test-{uuid.uuid4().hex[:8]}@localhost"
        self.log_path = self.log_dir / f"{self.name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "SHORTFALL_TEST_SLEEP_SECONDS": str(sleep_seconds),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        log = open(self.log_path, "w")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", self.queue,
             "-n", self.name, "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log()}")
            if self.app.control.ping(destination=[self.name], timeout=0.5):
                return self
        self.kill()
        raise AssertionError(f"worker did not answer a ping within {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(10)

    def log(self) -> str:
        return self.log_path.read_text()[-4000:] if self.log_path and self.log_path.exists() else ""


def wait_for(predicate, *, timeout: float = 20.0, interval: float = 0.1, what: str = "condition", worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    detail = f"\nworker log:\n{worker.log()}" if worker is not None else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{detail}")


@pytest.fixture
def worker_factory(services_available, transactional_db):
    """Start real workers on a private queue; all are SIGKILLed at the end, the queue purged."""
    from config.celery import app

    queue = f"aid-test-{uuid.uuid4().hex[:10]}"
    _use_queue(app, queue)
    engine.drainflag.clear()
    workers: list[Worker] = []
    with tempfile.TemporaryDirectory() as log_dir:

        def start(**kwargs) -> Worker:
            worker = Worker(app, queue, Path(log_dir))
            workers.append(worker)
            return worker.start(**kwargs)

        try:
            app.control.purge()
            yield start
        finally:
            for worker in workers:
                worker.kill()
            try:
                app.control.purge()
                engine.drainflag.clear()
                engine.drainflag._redis().delete(queue)
            finally:
                _use_queue(app, None)
