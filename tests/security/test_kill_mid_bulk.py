"""Kill the web process in the middle of a bulk request: nothing partial is written, and the retry
with the same Idempotency-Key writes the batch exactly once.

A real gunicorn serves the test database (PostgreSQL: the server and the test share it, so the test
commits its set-up: ``transactional_db``). A thread POSTs 10,000 stock reports; the test watches
``pg_stat_activity`` for the server's connection (tagged with its own ``application_name``) until it
is inside the write transaction, has inserted the reports and waits on the marks' table, which a second
connection of the test holds locked (so the write cannot commit before the kill, whatever the machine's
speed), then SIGKILLs the whole server. No hook in the application: the moment is made and observed from
the database.

SQLite: the suite's test database is in memory (one process), so the SQLite variant builds its own
file database (``migrate`` and the set-up in subprocesses), and sees the moment as the server holding
the write lock (``BEGIN IMMEDIATE`` from the test fails) after the key's claim was committed. It runs
whatever the suite's database is.

The Idempotency-Key claim is committed before the write, so it outlives the kill. On PostgreSQL the
killed owner's advisory lock ended with its connection: the retry takes the claim over at once and
writes the batch once. On SQLite the claim holds the key ("still in progress", 409) until
``ABANDONED_AFTER``; the test pins that, then ages the claim and retries.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from coordination.api.tokens import token_issue
from coordination.models import IdempotencyRecord
from stockpiles.models import CurrentStock, ShortfallMark, StockReport
from tests import factories
from tests.conftest import requires_postgres

ROOT = Path(__file__).resolve().parents[2]
ROWS = 10_000
pytestmark = pytest.mark.slow  # a real gunicorn killed mid-request: CI runs it (make test PYTEST_ARGS='-m ""')

APP_NAME = f"aid-kill-test-{uuid.uuid4().hex[:8]}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(app_name: str = APP_NAME) -> str:
    s = connection.settings_dict
    auth = quote(s.get("USER") or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{quote(s['NAME'], safe='')}?application_name={app_name}"


class Server:
    """gunicorn in its own process group, on a free loopback port, against the test database."""

    def __init__(self, log_dir: Path, database_url: str | None = None):
        self.port = _free_port()
        self.log_path = log_dir / f"gunicorn-{self.port}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url or _database_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CELERY_BROKER_URL": "memory://",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "API_BULK_THROTTLE_RATE": "1000/min",
            "API_THROTTLE_RATE": "10000/min",
        }
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in kill()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--timeout", "300", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                urllib.request.urlopen(f"{self.url}/api/schema/?format=json", timeout=5).read(1)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.kill()
        raise AssertionError(f"gunicorn did not answer within 60 s:\n{self.output()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # master and worker, no clean shutdown
            except ProcessLookupError:
                pass
            self.process.wait(10)
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text()[-4000:] if self.log_path.exists() else ""


def post(url: str, body, *, key: str, idempotency_key: str, timeout: float = 300) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Token {key}",
                 "Idempotency-Key": idempotency_key},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")


def server_backends() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, xact_start IS NOT NULL, query FROM pg_stat_activity WHERE application_name = %s",
            [APP_NAME],
        )
        return cursor.fetchall()


def wait_for(predicate, *, timeout: float, what: str, server: Server | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{server.output() if server else ''}")


def _blocked_mid_write() -> bool:
    """The server's connection is inside its write transaction, has written stock reports (it holds the row
    lock mode that inserting takes on their table) and waits for the lock the test holds on the marks' table:
    the batch is written but not committed, and cannot commit before the kill."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND l.granted"
            " WHERE a.application_name = %s AND a.xact_start IS NOT NULL AND a.wait_event_type = 'Lock'"
            " AND l.relation = 'stockpiles_stockreport'::regclass AND l.mode = 'RowExclusiveLock'",
            [APP_NAME],
        )
        return cursor.fetchone() is not None


class MarksLocked:
    """A second connection holding the marks' table so that no insert into it passes (EXCLUSIVE mode: reads go
    on): the bulk write marks its pairs after inserting the reports, so it stops there, mid-transaction."""

    def __enter__(self):
        import psycopg

        self.conn = psycopg.connect(_database_url(f"{APP_NAME}-locker"))
        self.conn.execute("LOCK TABLE stockpiles_shortfallmark IN EXCLUSIVE MODE")  # psycopg opened a transaction
        return self

    def __exit__(self, *exc):
        self.conn.rollback()
        self.conn.close()


@pytest.fixture
def log_dir():
    with tempfile.TemporaryDirectory() as path:
        yield Path(path)


@pytest.mark.postgres
@requires_postgres
def test_killing_the_server_mid_bulk_writes_nothing_and_the_retry_writes_once(transactional_db, nations, log_dir):
    pol = nations["POL"]
    items = [factories.ItemFactory(name=f"Kill item {n}") for n in range(100)]
    today = timezone.localdate()
    rows = [{"item": i.pk, "quantity": d + 1, "as_of": str(today - dt.timedelta(days=d))}
            for i in items for d in range(ROWS // len(items))]
    assert len(rows) == ROWS
    _, key = token_issue(nation=pol, name="kill test")
    idempotency_key = f"kill-{uuid.uuid4()}"

    server = Server(log_dir)
    answers: list = []
    try:
        with MarksLocked():  # the write stops after its reports, before its marks: killed there, never after
            thread = threading.Thread(target=lambda: answers.append(_try_post(server, rows, key, idempotency_key)))
            thread.start()
            wait_for(_blocked_mid_write, timeout=120, what="the server to write the reports and wait on the marks",
                     server=server)
            server.kill()
        thread.join(60)
    finally:
        server.kill()
    assert answers and answers[0][0] is None, f"the request finished before the kill: {answers}"

    # PostgreSQL rolls the dead client's transaction back once it notices the socket is gone.
    wait_for(lambda: not server_backends(), timeout=60, what="the killed server's connection to end")
    assert StockReport.objects.filter(nation=pol).count() == 0
    assert StockReport.history.filter(nation=pol).count() == 0
    assert CurrentStock.objects.filter(nation=pol).count() == 0
    assert ShortfallMark.objects.filter(nation=pol).count() == 0
    # The key's claim is committed on its own before the write (so a concurrent duplicate gets a 409):
    # it outlives the killed request, fresh (far from ABANDONED_AFTER).
    claim = IdempotencyRecord.objects.get(key=idempotency_key)
    assert (claim.state, claim.status_code, claim.response_body) == (IdempotencyRecord.State.IN_PROGRESS, None, None)
    assert claim.created_at > timezone.now() - dt.timedelta(minutes=5)

    server = Server(log_dir)
    try:
        url = f"{server.url}/api/v1/stock-reports/bulk/"
        # Right after the kill: no live connection holds the key's lock, so the retry takes the claim over.
        status, headers, body = post(url, rows, key=key, idempotency_key=idempotency_key)
        assert status == 201, (status, body)
        assert body["count"] == ROWS and "Idempotent-Replayed" not in headers

        status, headers, replay = post(url, rows, key=key, idempotency_key=idempotency_key)
        assert (status, headers.get("Idempotent-Replayed"), replay["count"]) == (201, "true", ROWS)
    finally:
        server.kill()

    assert StockReport.objects.filter(nation=pol).count() == ROWS
    assert StockReport.history.filter(nation=pol).count() == ROWS
    assert CurrentStock.objects.filter(nation=pol).count() == len(items)
    assert set(CurrentStock.objects.filter(nation=pol).values_list("as_of", flat=True)) == {today}
    assert IdempotencyRecord.objects.filter(key=idempotency_key, state=IdempotencyRecord.State.DONE).count() == 1


def _try_post(server: Server, rows, key, idempotency_key):
    try:
        return post(f"{server.url}/api/v1/stock-reports/bulk/", rows, key=key, idempotency_key=idempotency_key)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        return None, type(exc).__name__


# --- SQLite: a file database of the test's own ---------------------------------------------------------

SETUP = """
import json
from coordination.api.tokens import token_issue
from coordination.models import Category, Item, Nation
pol = Nation.objects.create(code="POL", name="Poland")
category = Category.objects.create(name="Ammunition")
items = [Item.objects.create(category=category, name=f"Kill item {n}") for n in range(100)]
print(json.dumps({"key": token_issue(nation=pol, name="kill test")[1], "items": [i.pk for i in items]}))
"""


def _manage(args, *, env, timeout=300) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def _writer_holds_the_lock(path: Path) -> bool:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc)
    finally:
        probe.close()


def _count(path: Path, sql: str, params=()) -> int:
    with sqlite3.connect(path, timeout=30) as db:
        return db.execute(sql, params).fetchone()[0]


def test_killing_the_server_mid_bulk_on_sqlite(log_dir):
    path = log_dir / "kill.sqlite3"
    url = f"sqlite:///{path}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings",
           "CELERY_BROKER_URL": "memory://", "CELERY_TASK_ALWAYS_EAGER": "1"}
    _manage(["migrate", "--noinput", "-v", "0"], env=env)
    made = json.loads(_manage(["shell", "-c", SETUP], env=env).strip().splitlines()[-1])
    today = timezone.localdate()
    rows = [{"item": i, "quantity": d + 1, "as_of": str(today - dt.timedelta(days=d))}
            for i in made["items"] for d in range(ROWS // len(made["items"]))]
    idempotency_key = f"kill-{uuid.uuid4()}"
    claimed = "SELECT COUNT(*) FROM coordination_idempotencyrecord WHERE key = ?"

    server = Server(log_dir, database_url=url)
    answers: list = []
    try:
        thread = threading.Thread(target=lambda: answers.append(_try_post(server, rows, made["key"], idempotency_key)))
        thread.start()
        # The claim is committed first, on its own; from then on the write lock is the bulk's transaction.
        wait_for(lambda: _count(path, claimed, [idempotency_key]) and _writer_holds_the_lock(path), timeout=120,
                 what="the server to hold the write lock for the batch", server=server)
        server.kill()
        thread.join(60)
    finally:
        server.kill()
    assert answers and answers[0][0] is None, f"the request finished before the kill: {answers}"

    for table in ("stockpiles_stockreport", "stockpiles_historicalstockreport", "stockpiles_currentstock",
                  "stockpiles_shortfallmark"):
        assert _count(path, f"SELECT COUNT(*) FROM {table}") == 0, table
    assert _count(path, claimed + " AND state = 'in_progress'", [idempotency_key]) == 1

    server = Server(log_dir, database_url=url)
    try:
        bulk = f"{server.url}/api/v1/stock-reports/bulk/"
        status, _, body = post(bulk, rows, key=made["key"], idempotency_key=idempotency_key)
        assert status == 409, (status, body)
        with sqlite3.connect(path, timeout=30) as db:
            db.execute("UPDATE coordination_idempotencyrecord SET created_at = '2000-01-01 00:00:00' WHERE key = ?",
                       [idempotency_key])
        status, headers, body = post(bulk, rows, key=made["key"], idempotency_key=idempotency_key)
        assert (status, body.get("count")) == (201, ROWS), (status, body)
        status, headers, replay = post(bulk, rows, key=made["key"], idempotency_key=idempotency_key)
        assert (status, headers.get("Idempotent-Replayed"), replay["count"]) == (201, "true", ROWS)
    finally:
        server.kill()
    assert _count(path, "SELECT COUNT(*) FROM stockpiles_stockreport") == ROWS
    assert _count(path, "SELECT COUNT(*) FROM stockpiles_historicalstockreport") == ROWS
    assert _count(path, "SELECT COUNT(*) FROM stockpiles_currentstock") == len(made["items"])
