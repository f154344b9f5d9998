"""The benchmark's measurements. Each returns a plain dict of figures, paired with a baseline taken in
the same run (the machine is shared, absolute times drift; ratios are what compare between runs).

They work on whatever database Django is connected to, so the test suite runs them at tiny sizes
(tests/bench/). bench/run.py prepares the database, the web server and the worker around them.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from django.db import connection, transaction
from django.utils import timezone

from bench import baseline

Pair = tuple[int, int]


# --- Small helpers -------------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear-interpolated percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, 3)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def today() -> dt.date:
    return timezone.localdate()


@contextmanager
def no_enqueue():
    """Writes mark pairs as usual but request no drain task: the caller drains explicitly."""
    from stockpiles import tasks
    from stockpiles.engine import marks

    with mock.patch.object(marks, "shortfall_request_drain", lambda *a, **k: False), \
            mock.patch.object(tasks.recompute_marked_shortfalls, "delay", lambda *a, **k: None):
        yield


def reset_drain_requests() -> None:
    """Forget pending drain requests (after the broker's queue was purged): the next write publishes."""
    from stockpiles import engine

    engine.drainflag.clear()


def drain_marks() -> int:
    """Recompute every marked pair now (in this process)."""
    from stockpiles import engine

    total = 0
    while True:
        done = engine.shortfalls_recompute_marked()
        if not done:
            return total
        total += done


def sample_pairs(*, count: int, seed: int, exclude: set[Pair] = frozenset(), fresh_today: bool = True) -> list[Pair]:
    """A deterministic sample of (nation, item) pairs with a current stock (and no report dated today)."""
    from stockpiles.models import CurrentStock

    qs = CurrentStock.objects.order_by("nation_id", "item_id")
    if fresh_today:
        qs = qs.exclude(as_of=today())
    pairs = [p for p in qs.values_list("nation_id", "item_id") if p not in exclude]
    rng = random.Random(seed)
    return rng.sample(pairs, min(count, len(pairs)))


# --- 1. Full recompute vs one SQL statement ------------------------------------------------------------

def full_recompute(*, repeats: int = 3) -> dict:
    """The engine's full recompute (``shortfalls_recompute(pairs=None)``) vs the one-statement SQL upsert
    into a twin table. Median of ``repeats`` alternating runs; the first run of each inserts, later ones
    update. Checks that both give identical rows. ``engine_core``: the engine's compute + store alone
    (``shortfalls_compute`` + ``shortfalls_store``), without the lock, stale-row clean-up and alert sync
    that the full recompute also does and the SQL does not. ``prototype``: the engine's compute with the
    COPY-based store sketched in ``baseline.copy_store`` (the fix proposed in docs/performance.md); the rows
    are compared after it, so it must give the same rows."""
    from stockpiles import engine
    from stockpiles.models import Shortfall

    if connection.vendor != "postgresql":
        raise RuntimeError("The SQL baseline needs PostgreSQL.")
    as_of = today()
    baseline.create_baseline_table()
    engine_runs, sql_runs = [], []
    for _ in range(repeats):
        seconds, _count = timed(lambda: engine.shortfalls_recompute(pairs=None))
        engine_runs.append(seconds)

        def sql():
            with transaction.atomic():
                return baseline.sql_upsert(as_of=as_of)

        seconds, _count = timed(sql)
        sql_runs.append(seconds)
    core_runs = []
    for _ in range(repeats):
        def core():
            with transaction.atomic():
                return engine.shortfalls_store(results=engine.shortfalls_compute(pairs=None, as_of=as_of))

        seconds, _count = timed(core)
        core_runs.append(seconds)
    engine_rows = baseline.engine_rows()
    proto_runs = []
    for _ in range(repeats):
        def proto():
            with transaction.atomic():
                return baseline.copy_store(results=engine.shortfalls_compute(pairs=None, as_of=as_of))

        seconds, _count = timed(proto)
        proto_runs.append(seconds)
    proto_rows = baseline.engine_rows()
    sql_rows = baseline.sql_rows(as_of=as_of)
    engine_s, sql_s = statistics.median(engine_runs), statistics.median(sql_runs)
    core_s, proto_s = statistics.median(core_runs), statistics.median(proto_runs)
    return {
        "pairs": Shortfall.objects.count(),
        "engine_ms": ms(engine_s),
        "sql_ms": ms(sql_s),
        "ratio": ratio(engine_s, sql_s),
        "engine_core_ms": ms(core_s),
        "core_ratio": ratio(core_s, sql_s),
        "prototype_copy_store_ms": ms(proto_s),
        "prototype_ratio": ratio(proto_s, sql_s),
        "identical": engine_rows == sql_rows,
        "prototype_identical": proto_rows == sql_rows,
        "differences": baseline.differences(engine_rows, sql_rows),
        "engine_runs_ms": [ms(s) for s in engine_runs],
        "sql_runs_ms": [ms(s) for s in sql_runs],
        "target": "engine <= 1.5 x SQL",
        "met": (engine_s / sql_s <= 1.5) if sql_s else None,
    }


# --- 2. Incremental recompute of one pair --------------------------------------------------------------

def incremental(*, samples: int = 30, seed: int = 1) -> dict:
    """For ``samples`` pairs: one new stock report through the service (dated today), then the drain the
    worker runs (``shortfalls_recompute_marked``) recomputes exactly that pair. Times per pair."""
    from coordination.access import CELL
    from coordination.models import Item, Nation
    from stockpiles import engine, services
    from stockpiles.models import CurrentStock, Shortfall, StockReport

    drain_marks()
    pairs = sample_pairs(count=samples, seed=seed)
    nations = Nation.objects.in_bulk({n for n, _ in pairs})
    items = Item.objects.in_bulk({i for _, i in pairs})
    current = {(c.nation_id, c.item_id): c.quantity for c in CurrentStock.objects.filter(
        nation_id__in=nations, item_id__in=items)}
    write_runs, drain_runs, direct_runs, wrong = [], [], [], 0
    day = today()
    with no_enqueue():
        for n, i in pairs:
            quantity = current[(n, i)] + 1
            seconds, _ = timed(lambda n=n, i=i, q=quantity: services.stock_report_create(
                actor=CELL, nation=nations[n], item=items[i], quantity=q, as_of=day))
            write_runs.append(seconds)
            seconds, drained = timed(engine.shortfalls_recompute_marked)
            drain_runs.append(seconds)
            seconds, _ = timed(lambda n=n, i=i: engine.shortfalls_recompute(pairs=[(n, i)]))
            direct_runs.append(seconds)
            row = Shortfall.objects.filter(nation_id=n, item_id=i).values_list("on_hand", flat=True).first()
            wrong += drained != 1 or row != quantity
    return {
        "samples": len(pairs),
        "stock_reports": StockReport.objects.count(),
        "write_p50_ms": ms(percentile(write_runs, 50)),
        "drain_p50_ms": ms(percentile(drain_runs, 50)),
        "drain_p95_ms": ms(percentile(drain_runs, 95)),
        "recompute_pair_p50_ms": ms(percentile(direct_runs, 50)),
        "wrong_results": wrong,
    }


# --- 3. Dashboard pages --------------------------------------------------------------------------------

def bench_user(username: str = "bench-cell"):
    """A cell user (superuser with a cell membership) for the dashboard and the API session."""
    from django.contrib.auth import get_user_model

    from coordination.models import Membership

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user = get_user_model().objects.create_superuser(username=username, password=None, email="")
    Membership.objects.get_or_create(user=user, defaults={"is_cell": True})
    return user


def bench_officer(nation_code: str, username: str = "bench-officer"):
    """An officer of ``nation_code`` (a nation's user: its own rows, the others' only as disclosed aggregates)."""
    from django.contrib.auth import get_user_model

    from coordination.models import Membership, Nation

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user = get_user_model().objects.create_user(username=username, password=None, email="")
    Membership.objects.update_or_create(user=user, defaults={"is_cell": False,
                                                             "nation": Nation.objects.get(code=nation_code)})
    return user


def officer_pages(pages: dict[str, str], suffix: str = "") -> dict[str, str]:
    """The overview and the officer's own nation page, as the officer of the nation with the most rows
    (``dashboard_pages``' nation)."""
    code = pages["nation"].rstrip("/").rsplit("/", 1)[-1]
    return {f"overview (officer of {code}){suffix}": pages["overview"],
            f"own nation (officer of {code}){suffix}": pages["nation"]}


def busiest_item_id() -> int | None:
    """The item with the most current stock rows (the most nations in its tables)."""
    from django.db.models import Count

    from stockpiles.models import CurrentStock

    return (CurrentStock.objects.values("item_id").annotate(n=Count("pk")).order_by("-n", "item_id")
            .values_list("item_id", flat=True).first())


def dashboard_pages() -> dict[str, str]:
    """The overview, the nation with the most rows, the item with the most rows, and the pages over every
    nation's figures: the recipient's, procurement, the briefing and the pledge list."""
    from django.db.models import Count
    from django.urls import reverse

    from coordination.models import Nation
    from stockpiles.models import CurrentStock

    nation_id = (CurrentStock.objects.values("nation_id").annotate(n=Count("pk")).order_by("-n", "nation_id")
                 .values_list("nation_id", flat=True).first())
    item_id = busiest_item_id()
    code = Nation.objects.filter(pk=nation_id).values_list("code", flat=True).first()
    return {
        "overview": reverse("dashboard:overview"),
        "nation": reverse("dashboard:nation", args=[code]),
        "item": reverse("dashboard:item", args=[item_id]),
        "recipient": reverse("dashboard:recipient"),
        "procurement": reverse("dashboard:procurement"),
        "briefing": reverse("dashboard:briefing"),
        "pledges": reverse("dashboard:pledges"),
    }


def verified_client(user):
    """A test client signed in as ``user`` with a second factor verified, as after the real two-step
    login (cell users must pass 2FA: without it every page is a redirect to the code page)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
              or TOTPDevice.objects.create(user=user, name="bench", confirmed=True))
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def dashboard(*, requests: int = 20) -> dict:
    """Server time (Django test client, in process) and SQL queries per page; baseline: /healthz."""
    client = verified_client(bench_user())
    pages = dashboard_pages()
    out = time_urls(client, {"floor (/healthz)": "/healthz", **pages}, requests=requests)
    officer = verified_client(bench_officer(pages["nation"].rstrip("/").rsplit("/", 1)[-1]))
    out.update(time_urls(officer, officer_pages(pages), requests=requests))
    return judged(out, lambda f: f["status"] == 200 and f["queries"] <= 10 and f["p95_ms"] <= 100)


def sourcing(*, requests: int = 20) -> dict:
    """The sourcing planner for the item with the most nations: the API (GET /api/v1/sourcing/, target p95
    <= 300 ms server time) and the page, as the cell (every nation in it); baseline: /healthz."""
    from django.urls import reverse

    item_id = busiest_item_id()
    client = verified_client(bench_user())
    out = time_urls(client, {
        "floor (/healthz)": "/healthz",
        "api": f"{api_path('stockpiles-api:sourcing', '/api/v1/sourcing/')}?item={item_id}",
        "page": f"{reverse('dashboard:sourcing')}?item={item_id}",
    }, requests=requests)
    return judged(out, lambda f: f["status"] == 200 and f["p95_ms"] <= 300)


def history(*, requests: int = 20, days: int = 56, as_of_days_ago: int = 28) -> dict:
    """The figures as they stood: rebuild the stored history (``ShortfallVersion``) over the last ``days``
    days (timed: the backfill an operator runs once), then time the dashboard pages as of a date
    ``as_of_days_ago`` days back (target <= 10 queries, p95 <= 300 ms), a frozen snapshot's creation and its
    comparison with today (target <= 1 s), and the trend (series) endpoint for the busiest item, the
    busiest nation and the whole alliance. Baseline: /healthz through the same client."""
    from django.urls import reverse

    from stockpiles import engine, services
    from stockpiles.models import ShortfallVersion, Snapshot

    user = bench_user()
    day = today()
    rebuild_s, written = timed(lambda: engine.shortfall_history_rebuild_locked(since=day - dt.timedelta(days=days)))
    as_of = (day - dt.timedelta(days=as_of_days_ago)).isoformat()
    pages = dashboard_pages()
    client = verified_client(user)
    as_of_pages = {f"{name} as of {as_of}": f"{url}?as_of={as_of}" for name, url in pages.items()}
    out = time_urls(client, {"floor (/healthz)": "/healthz", **as_of_pages}, requests=requests)
    officer = verified_client(bench_officer(pages["nation"].rstrip("/").rsplit("/", 1)[-1]))
    out.update(time_urls(officer, {name: f"{url}?as_of={as_of}" for name, url in
                                   officer_pages(pages, f" as of {as_of}").items()}, requests=requests))
    judged(out, lambda f: f["status"] == 200 and f["queries"] <= 10 and f["p95_ms"] <= 300)

    Snapshot.objects.filter(name__startswith="bench ").delete()
    snap_s, snapshot = timed(lambda: services.snapshot_create(actor=user, name=f"bench {as_of}",
                                                              as_of=dt.date.fromisoformat(as_of), user=user))
    compare = time_urls(client, {
        "floor (/healthz)": "/healthz",
        "snapshot vs today (page)": f"{reverse('dashboard:snapshot-compare')}?a={snapshot.pk}&b=today",
        "snapshot overview": f"{reverse('dashboard:overview')}?snapshot={snapshot.pk}",
    }, requests=max(5, requests // 4))
    judged(compare, lambda f: f["status"] == 200 and f["p95_ms"] <= 1000)

    series = api_path("stockpiles-api:shortfall-series", "/api/v1/shortfalls/series/")
    item_id = busiest_item_id()
    nation_code = pages["nation"].rstrip("/").rsplit("/", 1)[-1]
    trends = time_urls(client, {
        "floor (/healthz)": "/healthz",
        "series, alliance": f"{series}",
        "series, one item": f"{series}?item={item_id}",
        "series, one nation": f"{series}?nation={nation_code}",
    }, requests=requests)
    judged(trends, lambda f: f["status"] == 200 and f["p95_ms"] <= 300)
    return {
        "rebuild": {"days": days, "seconds": round(rebuild_s, 1), "written": written,
                    "versions": ShortfallVersion.objects.count()},
        "as_of_pages": out,
        "snapshot": {"create_ms": ms(snap_s), "rows": snapshot.rows.count(),
                     "timed": compare},
        "series": trends,
    }


def judged(out: dict[str, dict], met: Callable[[dict], bool]) -> dict[str, dict]:
    """Each timed URL's ratio to the /healthz floor and whether it meets its target."""
    floor = out["floor (/healthz)"]["p50_ms"]
    for name, figures in out.items():
        if not name.startswith("floor"):
            figures["ratio_to_floor"] = ratio(figures["p50_ms"], floor)
            figures["met"] = met(figures)
    return out


def time_urls(client, pages: dict[str, str], *, requests: int) -> dict[str, dict]:
    """Server time (in process) and SQL queries per URL: two warm-up requests, one counted, ``requests`` timed."""
    from django.test.utils import CaptureQueriesContext

    out: dict[str, dict] = {}
    for name, url in pages.items():
        for _ in range(2):  # warm caches, templates, connection
            response = client.get(url)
        if response.status_code != 200:  # a redirect or an error page would be timed as if it were the page
            raise RuntimeError(f"{name} ({url}): HTTP {response.status_code}, not the page")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        queries = len(captured)  # now: the next request clears the log the context points into
        runs = []
        for _ in range(requests):
            seconds, response = timed(lambda url=url: client.get(url))
            runs.append(seconds)
        out[name] = {
            "url": url,
            "status": response.status_code,
            "bytes": len(response.content),
            "queries": queries,
            "p50_ms": ms(percentile(runs, 50)),
            "p95_ms": ms(percentile(runs, 95)),
        }
    return out


# --- 4. API ingest vs COPY -----------------------------------------------------------------------------

class HttpTransport:
    """Real HTTP to a server (gunicorn) on loopback."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, path: str, *, body=None, headers: dict | None = None,
                timeout: float = 600) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


class ClientTransport:
    """Django's test client (for the test suite: same requests, no server)."""

    def __init__(self, client):
        self.client = client

    def request(self, method: str, path: str, *, body=None, headers: dict | None = None,
                timeout: float = 600) -> tuple[int, bytes]:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
        response = self.client.generic(method, path, data=json.dumps(body) if body is not None else "",
                                       content_type="application/json", **extra)
        return response.status_code, response.content


def api_path(name: str, fallback: str) -> str:
    from django.urls import NoReverseMatch, reverse

    for candidate in (name, f"api:{name}", f"v1:{name}", f"api:v1:{name}"):
        try:
            return reverse(candidate)
        except NoReverseMatch:
            continue
    return fallback


def issue_token(*, nation_id: int, name: str) -> str:
    from coordination.api.tokens import token_issue
    from coordination.models import Nation

    _token, key = token_issue(nation=Nation.objects.get(pk=nation_id), name=name)
    return key


def ingest_rows(*, count: int, item_ids: Sequence[int], exclude_days: set[dt.date]) -> list[dict]:
    """``count`` stock reports for one nation: every item on days back from yesterday (skipping days
    that already hold reports), so none is a duplicate."""
    rows: list[dict] = []
    day = today()
    while len(rows) < count:
        day -= dt.timedelta(days=1)
        if day in exclude_days:
            continue
        for item_id in item_ids:
            rows.append({"item": item_id, "quantity": (item_id * 7919 + day.toordinal()) % 100_000,
                         "as_of": day.isoformat()})
            if len(rows) == count:
                break
    return rows


def copy_rows(*, nation_id: int, rows: Sequence[dict]) -> None:
    """The same rows loaded with COPY (one transaction): the physical limit of getting them in."""
    stamp = timezone.now().isoformat()
    lines = "".join(f"{nation_id}\t{r['item']}\t{r['quantity']}\t{r['as_of']}\t{stamp}\n" for r in rows)
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy("COPY stockpiles_stockreport (nation_id, item_id, quantity, as_of, created_at) "
                                "FROM STDIN") as copy:
            copy.write(lines)


BARE_TABLE = "bench_stockreport_bare"


def copy_rows_bare(*, nation_id: int, rows: Sequence[dict]) -> float:
    """The same rows COPYed into a copy of the stock-report table (its rows too) that has only the unique
    (nation, item, as_of) index: what getting them in costs with no other index. Seconds of the COPY alone
    (the copy is made before and dropped after, untimed)."""
    stamp = timezone.now().isoformat()
    lines = "".join(f"{nation_id}\t{r['item']}\t{r['quantity']}\t{r['as_of']}\t{stamp}\n" for r in rows)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BARE_TABLE}")
        cursor.execute(f"CREATE TABLE {BARE_TABLE} AS SELECT * FROM stockpiles_stockreport")
        cursor.execute(f"CREATE UNIQUE INDEX {BARE_TABLE}_unique ON {BARE_TABLE} (nation_id, item_id, as_of)")
        cursor.execute(f"ANALYZE {BARE_TABLE}")
    try:
        def load():
            with transaction.atomic(), connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY {BARE_TABLE} (nation_id, item_id, quantity, as_of, created_at) "
                                        "FROM STDIN") as copy:
                    copy.write(lines)
        seconds, _ = timed(load)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {BARE_TABLE}")
    return seconds


def stockreport_indexes() -> list[str]:
    """The indexes of the stock-report table, as the database has them (what the COPY pays for)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'stockpiles_stockreport' ORDER BY 1")
        return [name for (name,) in cursor.fetchall()]


def api_ingest(*, transport, rows: int = 100_000, batch: int = 10_000) -> dict:
    """``rows`` stock reports through the bulk endpoint in batches, vs the same rows with COPY into the real
    table (every index it has) and, second baseline, into a copy with only the unique index."""
    from coordination.models import Item, Nation
    from stockpiles.models import StockReport

    allies = list(Nation.objects.filter(role=Nation.Role.ALLY).order_by("pk").values_list("pk", flat=True)[:2])
    api_nation, copy_nation = allies[0], allies[1]
    item_ids = list(Item.objects.order_by("pk").values_list("pk", flat=True))
    taken = set(StockReport.objects.filter(nation_id__in=allies).values_list("as_of", flat=True).distinct())
    data = ingest_rows(count=rows, item_ids=item_ids, exclude_days=taken)
    key = issue_token(nation_id=api_nation, name="bench ingest")
    path = api_path("stockpiles-api:stockreport-bulk", "/api/v1/stock-reports/bulk/")
    statuses: list[int] = []
    first_error = None
    started = time.perf_counter()
    for k in range(0, len(data), batch):
        status, body = transport.request("POST", path, body=data[k:k + batch],
                                         headers={"Authorization": f"Token {key}"})
        statuses.append(status)
        if status != 201 and first_error is None:
            first_error = body[:500].decode(errors="replace")
    api_s = time.perf_counter() - started
    stored = StockReport.objects.filter(nation_id=api_nation, as_of__in={r["as_of"] for r in data}).count()
    copy_s = bare_s = None
    if connection.vendor == "postgresql":
        bare_s = copy_rows_bare(nation_id=copy_nation, rows=data)  # before the real COPY: same keys free
        copy_s, _ = timed(lambda: copy_rows(nation_id=copy_nation, rows=data))
    ok = all(s == 201 for s in statuses) and stored == len(data)
    api_rate = len(data) / api_s if ok else None
    copy_rate = len(data) / copy_s if copy_s else None
    bare_rate = len(data) / bare_s if bare_s else None
    return {
        "rows": len(data),
        "batch": batch,
        "path": path,
        "statuses": statuses,
        "stored": stored,
        "first_error": first_error,
        "api_s": round(api_s, 3),
        "api_rows_per_s": round(api_rate) if api_rate else None,
        "copy_s": round(copy_s, 3) if copy_s else None,
        "copy_rows_per_s": round(copy_rate) if copy_rate else None,
        "ratio": ratio(api_rate, copy_rate),
        "copy_bare_s": round(bare_s, 3) if bare_s else None,
        "copy_bare_rows_per_s": round(bare_rate) if bare_rate else None,
        "ratio_to_bare": ratio(api_rate, bare_rate),
        "copy_vs_bare": ratio(copy_rate, bare_rate),
        "indexes": stockreport_indexes(),
        "target": "API >= 30 % of COPY",
        "met": (api_rate / copy_rate >= 0.3) if api_rate and copy_rate else None,
    }


# --- 5. API reads under concurrent load ----------------------------------------------------------------

WRK_SCRIPT = """
math.randomseed(1)
request = function()
  local page = math.random(1, %(pages)d)
  return wrk.format("GET", "%(path)s?page=" .. page, {["Authorization"] = "%(auth)s"})
end
done = function(summary, latency, requests)
  io.write(string.format("BENCHJSON {\\"requests\\": %%d, \\"seconds\\": %%f, \\"p50_us\\": %%d, "
    .. "\\"p95_us\\": %%d, \\"p99_us\\": %%d, \\"errors\\": %%d, \\"non2xx\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.errors.status))
end
"""


def load_wrk(*, base_url: str, path: str, auth: str, pages: int, seconds: int, connections: int,
             threads: int = 2) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"path": path, "auth": auth, "pages": max(1, pages)})
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script.name,
             base_url.rstrip("/") + path],
            capture_output=True, text=True, timeout=seconds + 60, check=False,
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {out.stdout[-500:]} {out.stderr[-500:]}")
    r = json.loads(line[len("BENCHJSON "):])
    return {
        "tool": "wrk",
        "requests": r["requests"],
        "requests_per_s": round(r["requests"] / r["seconds"], 1),
        "p50_ms": round(r["p50_us"] / 1000, 2),
        "p95_ms": round(r["p95_us"] / 1000, 2),
        "p99_ms": round(r["p99_us"] / 1000, 2),
        "errors": r["errors"] + r["non2xx"],
    }


def load_threads(*, transport, path: str, auth: str, pages: int, seconds: float, connections: int,
                 max_requests: int = 100_000) -> dict:
    """Fallback load generator: a thread pool, bounded in time and in count."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    deadline = time.perf_counter() + seconds
    rng = random.Random(1)

    def worker(seed: int):
        local = random.Random(seed)
        while time.perf_counter() < deadline:
            with lock:
                if len(latencies) + errors[0] >= max_requests:
                    return
            page = local.randint(1, max(1, pages))
            started = time.perf_counter()
            try:
                status, _ = transport.request("GET", f"{path}?page={page}", headers={"Authorization": auth},
                                              timeout=10)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                if 200 <= status < 300:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        for _ in range(connections):
            pool.submit(worker, rng.randrange(1 << 30))
    elapsed = time.perf_counter() - started
    return {
        "tool": "python threads",
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": ms(percentile(latencies, 50)),
        "p95_ms": ms(percentile(latencies, 95)),
        "p99_ms": ms(percentile(latencies, 99)),
        "errors": errors[0],
    }


def api_reads(*, base_url: str, seconds: int = 15, connections: int = 8, transport=None) -> dict:
    """Requests/s and latency of a paginated list endpoint (stock reports of the token's nation, random
    pages of 100) vs the floor of the same server (/healthz) under the same load."""
    from coordination.models import Nation
    from stockpiles.models import StockReport

    nation_id = Nation.objects.filter(role=Nation.Role.ALLY).order_by("pk").values_list("pk", flat=True).first()
    key = issue_token(nation_id=nation_id, name="bench reads")
    auth = f"Token {key}"
    pages = max(1, StockReport.objects.filter(nation_id=nation_id).count() // 100)
    path = api_path("stockpiles-api:stockreport-list", "/api/v1/stock-reports/")
    use_wrk = transport is None and shutil.which("wrk") is not None

    def load(p: str, n_pages: int) -> dict:
        if use_wrk:
            return load_wrk(base_url=base_url, path=p, auth=auth, pages=n_pages, seconds=seconds,
                            connections=connections)
        return load_threads(transport=transport or HttpTransport(base_url), path=p, auth=auth, pages=n_pages,
                            seconds=seconds, connections=connections)

    floor = load("/healthz", 1)
    listing = load(path, min(pages, 50))
    return {
        "path": path,
        "pages_in_rotation": min(pages, 50),
        "connections": connections,
        "seconds": seconds,
        "list": listing,
        "floor (/healthz)": floor,
        "ratio": ratio(listing["requests_per_s"], floor["requests_per_s"]),
    }


# --- 6. Freshness with a real worker -------------------------------------------------------------------

def freshness(*, writes: int = 100, seed: int = 2, timeout: float = 30.0, poll: float = 0.005) -> dict:
    """Time from a committed stock report (through the service; the worker is told on commit) to its
    updated Shortfall row, seen from this process. One write at a time."""
    from coordination.access import CELL
    from coordination.models import Item, Nation
    from stockpiles import services
    from stockpiles.models import CurrentStock, Shortfall

    pairs = sample_pairs(count=writes, seed=seed)
    nations = Nation.objects.in_bulk({n for n, _ in pairs})
    items = Item.objects.in_bulk({i for _, i in pairs})
    current = {(c.nation_id, c.item_id): c.quantity for c in CurrentStock.objects.filter(
        nation_id__in=nations, item_id__in=items)}
    latencies, timeouts = [], 0
    day = today()
    for n, i in pairs:
        quantity = current[(n, i)] + 7
        committed: list[float] = []
        with transaction.atomic():
            transaction.on_commit(lambda c=committed: c.append(time.perf_counter()))
            services.stock_report_create(actor=CELL, nation=nations[n], item=items[i], quantity=quantity, as_of=day)
        t0 = committed[0] if committed else time.perf_counter()  # (no commit inside an outer transaction)
        row = Shortfall.objects.filter(nation_id=n, item_id=i, on_hand=quantity)
        while not row.exists():
            if time.perf_counter() - t0 > timeout:
                timeouts += 1
                break
            time.sleep(poll)
        else:
            latencies.append(time.perf_counter() - t0)
    p95 = percentile(latencies, 95)
    return {
        "writes": len(pairs),
        "p50_ms": ms(percentile(latencies, 50)),
        "p95_ms": ms(p95),
        "max_ms": ms(max(latencies) if latencies else None),
        "timeouts": timeouts,
        "target": "p95 <= 5 s",
        "met": (p95 is not None and p95 <= 5 and not timeouts),
    }
