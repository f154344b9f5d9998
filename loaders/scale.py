"""Synthetic data at alliance scale, for the benchmark and for load tests.

``scale_data_generate(sizes=..., seed=...)`` fills an empty database with raw inputs shaped like the
real thing: weekly stock reports per (nation, item), alliance-wide guidelines for most items (some
revised, some nation-specific), production rates for some pairs, pledges with partial deliveries,
the recipient's requirements and training commitments. The same seed and ``today`` give the same
rows, down to the primary keys.

It writes the raw inputs only: it marks nothing and computes no shortfall, so that the benchmark
measures the recompute. Derived columns that the services keep in step are filled consistently:
``Pledge.allocated/shipped/delivered_quantity`` are the sums of the pledge's deliveries (which
never exceed the pledge), and ``CurrentStock`` holds the latest report of every pair.

On PostgreSQL the rows go in with ``COPY`` (psycopg 3); elsewhere with ``bulk_create`` (fine for
the small sizes the test suite uses). History tables (django-simple-history) are not filled for
generated rows: they are bulk fixtures, not edits anybody made.

This module bypasses the write services on purpose (it is a fixture loader). Nothing in the product
calls it.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from coordination.models import Category, Item, Nation
from pledges.models import Delivery, Pledge, Requirement, TrainingCommitment
from stockpiles.models import CurrentStock, ProductionRate, StockpileGuideline, StockReport

RECIPIENT_CODE = "UKR"
CATEGORIES = (
    ("Artillery ammunition", Item.Unit.ROUNDS, (20_000, 400_000)),
    ("Air-defence interceptors", Item.Unit.MISSILES, (50, 2_000)),
    ("Armoured vehicles", Item.Unit.VEHICLES, (20, 600)),
    ("Artillery systems", Item.Unit.SYSTEMS, (10, 300)),
    ("Small-arms ammunition", Item.Unit.ROUNDS, (500_000, 20_000_000)),
    ("Anti-tank weapons", Item.Unit.MISSILES, (200, 8_000)),
    ("Mortar ammunition", Item.Unit.ROUNDS, (5_000, 150_000)),
    ("Engineering equipment", Item.Unit.UNITS, (20, 1_000)),
    ("Medical supplies", Item.Unit.UNITS, (1_000, 50_000)),
    ("Training places", Item.Unit.PLACES, (50, 2_000)),
)
PROGRAMMES = ("F-16 pilot", "Leopard 2 crew", "Patriot battery", "Combat engineer", "Field medic", "Artillery crew")

# Tables this module fills or that depend on them; ``scale_data_clear`` empties all of them.
DOMAIN_APPS = ("coordination", "pledges", "stockpiles")


@dataclass(frozen=True)
class ScaleSizes:
    nations: int = 50
    items: int = 1000
    reports: int = 5_000_000
    pledges: int = 50_000
    deliveries: int = 200_000

    def validate(self) -> None:
        errors = {}
        if not 2 <= self.nations <= 600:
            errors["nations"] = ["Give between 2 and 600 nations (one of them is the recipient)."]
        if self.items < 1:
            errors["items"] = ["Give at least one item."]
        for name in ("reports", "pledges", "deliveries"):
            if getattr(self, name) < 0:
                errors[name] = ["Cannot be negative."]
        if self.deliveries and not self.pledges:
            errors["deliveries"] = ["Deliveries need pledges to be delivered against."]
        if errors:
            raise ValidationError(errors)

    def scaled(self, factor: int) -> ScaleSizes:
        """``factor`` times the rows of every table except nations (there are only so many allies)."""
        return ScaleSizes(
            nations=self.nations, items=self.items * factor, reports=self.reports * factor,
            pledges=self.pledges * factor, deliveries=self.deliveries * factor,
        )


@dataclass
class ScaleResult:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    method: str = ""


def nation_codes(count: int) -> list[str]:
    """The recipient first, then deterministic codes XAA, XAB, ... (then YAA ...): valid in shape, fictitious."""
    codes = [RECIPIENT_CODE]
    n = 0
    while len(codes) < count:
        code = "X" + chr(65 + (n // 26) % 26) + chr(65 + n % 26) if n < 676 else (
            "Y" + chr(65 + ((n - 676) // 26) % 26) + chr(65 + (n - 676) % 26))
        n += 1
        if code != RECIPIENT_CODE:
            codes.append(code)
    return codes


def latest_report_day(today: dt.date) -> dt.date:
    """Generated reports are weekly, on Mondays, the last one strictly before ``today``."""
    back = today.weekday() or 7
    return today - dt.timedelta(days=back)


def domain_models() -> list[type[models.Model]]:
    return [m for label in DOMAIN_APPS for m in apps.get_app_config(label).get_models()]


def scale_data_clear() -> None:
    """Empty every domain table (nations, catalogue, pledges, stocks, computed rows, their history).

    User accounts stay. On PostgreSQL identities restart at 1, so a new run gives the same keys.
    """
    tables = [m._meta.db_table for m in domain_models()]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
            cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
            if connection.vendor == "sqlite":
                placeholders = ", ".join(["%s"] * len(tables))
                cursor.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({placeholders})", tables)


def domain_is_empty() -> bool:
    return not any(m.objects.exists() for m in (Nation, Item, StockReport, Pledge))


# --- Writers ---------------------------------------------------------------------------------------

class _Writer:
    """Writes rows (tuples in ``fields`` order, primary key included) into a model's table."""

    method = "bulk_create"

    def __init__(self, progress: Callable[[int], None]):
        self.progress = progress
        self.counts: dict[str, int] = {}
        self.models: list[type[models.Model]] = []

    def write(self, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
        attnames, fill = _complete_columns(model, fields)
        count = 0
        batch: list[models.Model] = []
        for row in rows:
            batch.append(model(**dict(zip(attnames, row + fill, strict=True))))
            if len(batch) >= 5000:
                model.objects.bulk_create(batch)
                count += len(batch)
                self.progress(len(batch))
                batch = []
        if batch:
            model.objects.bulk_create(batch)
            count += len(batch)
            self.progress(len(batch))
        self._done(model, count)
        return count

    def _done(self, model: type[models.Model], count: int) -> None:
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + count
        if model not in self.models:
            self.models.append(model)

    def finish(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), self.models)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


class _CopyWriter(_Writer):
    """PostgreSQL: ``COPY ... FROM STDIN`` through psycopg 3, text format written in large chunks."""

    method = "copy"

    def write(self, model, fields, rows):
        attnames, fill = _complete_columns(model, fields)
        columns = ", ".join(connection.ops.quote_name(model._meta.get_field(a).column) for a in attnames)
        sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        fill_text = "".join("\t" + _copy_text(v) for v in fill)
        count = 0
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            chunk: list[str] = []
            for row in rows:
                chunk.append("\t".join(map(_copy_text, row)) + fill_text + "\n")
                if len(chunk) >= 20_000:
                    copy.write("".join(chunk))
                    count += len(chunk)
                    self.progress(len(chunk))
                    chunk = []
            if chunk:
                copy.write("".join(chunk))
                count += len(chunk)
                self.progress(len(chunk))
        self._done(model, count)
        return count

    def finish(self):
        super().finish()
        with connection.cursor() as cursor:
            for model in self.models:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)


def _complete_columns(model: type[models.Model], fields: Sequence[str]) -> tuple[list[str], tuple]:
    """The given columns plus every other concrete column with its default (so that a column added
    later with a default does not break the generator)."""
    attnames = list(fields)
    fill = []
    for f in model._meta.concrete_fields:
        if f.attname in attnames or f.name in attnames:
            continue
        if f.has_default():
            fill.append(f.get_default())
        elif f.null:
            fill.append(None)
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            fill.append(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        else:
            raise ValidationError(f"{model._meta.label}.{f.name} has no default: teach coordination/scale.py.")
        attnames.append(f.attname)
    return attnames, tuple(fill)


# --- The generator -------------------------------------------------------------------------------

def scale_data_generate(*, sizes: ScaleSizes, seed: int = 1, today: dt.date | None = None, clear: bool = False,
                        progress: bool = True) -> ScaleResult:
    """Fill the database with generated inputs (see the module docstring). Refuses a non-empty
    database unless ``clear`` (which empties every domain table first)."""

    sizes.validate()
    today = today or timezone.localdate()
    started = time.perf_counter()
    if clear:
        scale_data_clear()
    elif not domain_is_empty():
        raise ValidationError("The database already holds nations, items, reports or pledges: pass clear=True "
                              "(--clear) to empty every domain table first.")

    bar = None
    if progress:
        held = min(sizes.reports, int(0.8 * (sizes.nations - 1) * sizes.items))
        total = sizes.nations + sizes.items + sizes.reports + held + sizes.pledges + sizes.deliveries
        bar = tqdm(total=total, unit="row", unit_scale=True, desc="generate_scale_data", leave=True)
    tick = bar.update if bar is not None else (lambda n: None)
    writer = _CopyWriter(tick) if connection.vendor == "postgresql" else _Writer(tick)
    gen = _Generator(sizes=sizes, seed=seed, today=today)
    with transaction.atomic():
        gen.write_all(writer)
        writer.finish()
    if bar is not None:
        bar.total = bar.n  # the small tables were only estimated
        bar.refresh()
        bar.close()
    return ScaleResult(counts=writer.counts, seconds=time.perf_counter() - started, method=writer.method)


class _Generator:
    def __init__(self, *, sizes: ScaleSizes, seed: int, today: dt.date):
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.today = today
        self.stamp = dt.datetime.combine(today, dt.time(6, 0), tzinfo=dt.UTC)

    # Each step uses the one seeded generator in a fixed order: same seed, same rows.
    def write_all(self, w: _Writer) -> None:
        rng, sizes = self.rng, self.sizes
        codes = nation_codes(sizes.nations)
        nation_rows = [
            (k + 1, code, "Ukraine" if code == RECIPIENT_CODE else f"Scale nation {code}",
             Nation.Role.RECIPIENT if code == RECIPIENT_CODE else Nation.Role.ALLY,
             dt.date(1949 + rng.randrange(0, 75), 4, 4) if code != RECIPIENT_CODE else None)
            for k, code in enumerate(codes)
        ]
        w.write(Nation, ["id", "code", "name", "role", "joined_on"], nation_rows)
        self.recipient_id = 1
        self.allies = [row[0] for row in nation_rows[1:]]

        w.write(Category, ["id", "name"], [(k + 1, c[0]) for k, c in enumerate(CATEGORIES)])
        self.item_scale: list[int] = [0]  # index = item id
        item_rows = []
        for k in range(sizes.items):
            cat = k % len(CATEGORIES)
            name, unit, (low, high) = CATEGORIES[cat]
            typical = int(low * (high / low) ** rng.random())
            self.item_scale.append(typical)
            value = round(rng.uniform(0.5, 2.0) * (1_000_000 / max(typical, 1)) ** 0.5 * 100, 2)
            item_rows.append((k + 1, cat + 1, f"Scale item {k + 1:05d} ({name.lower()})", unit,
                              f"{1300 + cat:04d}01{k + 1:07d}", f"{value:.2f}"))
        w.write(Item, ["id", "category_id", "name", "unit", "nsn", "unit_value_eur"], item_rows)

        self._guidelines(w)
        self._reports(w)
        self._rates(w)
        self._pledges_and_deliveries(w)
        self._requirements_and_training(w)

    def _guidelines(self, w: _Writer) -> None:
        """85 % of items have an alliance-wide guideline; a third of those were revised in force
        from a recent date; 3 % of (nation, item) pairs have a national target."""
        rng = self.rng
        rows, gid = [], 0
        revised = self.today.replace(day=1) - dt.timedelta(days=365)
        self.guideline: dict[int, int] = {}
        for item_id in range(1, self.sizes.items + 1):
            if rng.random() >= 0.85:
                continue
            minimum = int(self.item_scale[item_id] * rng.uniform(0.6, 1.4))
            if rng.random() < 0.33:
                gid += 1
                rows.append((gid, item_id, None, int(minimum * 0.7), dt.date(2015, 1, 1),
                             revised - dt.timedelta(days=1)))
                gid += 1
                rows.append((gid, item_id, None, minimum, revised, None))
            else:
                gid += 1
                rows.append((gid, item_id, None, minimum, dt.date(2015, 1, 1), None))
            self.guideline[item_id] = minimum
        national = max(1, int(0.03 * len(self.allies) * self.sizes.items)) if self.allies else 0
        seen = set()
        for _ in range(national):
            pair = (rng.choice(self.allies), rng.randrange(1, self.sizes.items + 1))
            if pair in seen:
                continue
            seen.add(pair)
            gid += 1
            base = self.guideline.get(pair[1], self.item_scale[pair[1]])
            rows.append((gid, pair[1], pair[0], int(base * rng.uniform(0.8, 1.5)), dt.date(2023, 1, 1), None))
        w.write(StockpileGuideline, ["id", "item_id", "nation_id", "minimum_quantity", "effective_from",
                                     "effective_to"], rows)

    def _reports(self, w: _Writer) -> None:
        """Weekly reports (Mondays) per held (nation, item) pair, as a random walk around a level that
        leaves many pairs below guideline. Every pair gets the same number of weeks (±1)."""
        rng, total = self.rng, self.sizes.reports
        pairs = [(n, i) for n in self.allies for i in range(1, self.sizes.items + 1) if rng.random() < 0.8]
        if not pairs and total:
            pairs = [(self.allies[0], 1)]
        rng.shuffle(pairs)
        if total < len(pairs):
            pairs = pairs[:total]
        pairs.sort()
        weeks, extra = (divmod(total, len(pairs)) if pairs else (0, 0))
        last = latest_report_day(self.today)
        max_weeks = weeks + (1 if extra else 0)
        days = [last - dt.timedelta(weeks=k) for k in range(max_weeks)][::-1]
        day_text = [d.isoformat() for d in days]
        stamp_text = [f"{d.isoformat()} 06:00:00+00" for d in days]
        current: list[tuple] = []
        stamp_is_text = isinstance(w, _CopyWriter)

        def rows() -> Iterator[tuple]:
            rid = 0
            randint = rng.randint
            for k, (n, i) in enumerate(pairs):
                count = weeks + (1 if k < extra else 0)
                level = int(self.guideline.get(i, self.item_scale[i]) * rng.uniform(0.3, 1.6)) + 1
                step = max(1, level // 30)
                q = level
                offset = max_weeks - count
                for week in range(offset, max_weeks):
                    rid += 1
                    q = max(0, q + randint(-step, step))
                    if stamp_is_text:
                        yield (rid, n, i, q, day_text[week], None, stamp_text[week])
                    else:
                        yield (rid, n, i, q, days[week], None,
                               dt.datetime.combine(days[week], dt.time(6, 0), tzinfo=dt.UTC))
                current.append((len(current) + 1, n, i, q, days[-1], rid))

        w.write(StockReport, ["id", "nation_id", "item_id", "quantity", "as_of", "reported_by_id", "created_at"],
                rows())
        self.held = [(n, i) for _, n, i, _, _, _ in current]
        w.write(CurrentStock, ["id", "nation_id", "item_id", "quantity", "as_of", "report_id"], current)

    def _rates(self, w: _Writer) -> None:
        """Production rates for 20 % of held pairs; half of those ramped up (two periods)."""
        rng = self.rng
        rows, rid = [], 0
        ramp = self.today.replace(day=1) - dt.timedelta(days=540)
        for n, i in self.held:
            if rng.random() >= 0.2:
                continue
            units = max(1, int(self.item_scale[i] * rng.uniform(0.005, 0.05)))
            rid += 1
            rows.append((rid, n, i, units, dt.date(2019, 1, 1), ""))
            if rng.random() < 0.5:
                rid += 1
                rows.append((rid, n, i, int(units * rng.uniform(1.5, 5.7)), ramp, "ramp-up (illustrative)"))
        w.write(ProductionRate, ["id", "nation_id", "item_id", "units_per_month", "effective_from", "reference"], rows)

    def _pledges_and_deliveries(self, w: _Writer) -> None:
        rng, sizes, today = self.rng, self.sizes, self.today
        if not sizes.pledges or not self.allies:
            return
        start = today - dt.timedelta(days=3 * 365)
        sources = [Pledge.Source.NATIONAL_STOCK] * 12 + [Pledge.Source.NEW_PRODUCTION] * 5 + [
            Pledge.Source.PROCUREMENT] * 3
        statuses = [Pledge.Status.ANNOUNCED] * 3 + [Pledge.Status.COMMITTED] * 7 + [
            Pledge.Status.ALLOCATED] * 8 + [Pledge.Status.CANCELLED] * 2
        releasabilities = ["public"] * 10 + ["alliance"] * 8 + ["restricted"] * 2
        pledges = []  # [id, donor, item, quantity, announced, due, source, status, releasability]
        for pid in range(1, sizes.pledges + 1):
            item = rng.randrange(1, sizes.items + 1)
            announced = start + dt.timedelta(days=rng.randrange(0, (today - start).days + 1))
            pledges.append([pid, rng.choice(self.allies), item,
                            max(1, int(self.item_scale[item] * rng.uniform(0.02, 0.4))), announced,
                            announced + dt.timedelta(days=rng.randrange(30, 400)), rng.choice(sources),
                            rng.choice(statuses), rng.choice(releasabilities)])
        open_ids = [p[0] for p in pledges if p[7] != Pledge.Status.CANCELLED] or [pledges[0][0]]
        if pledges[open_ids[0] - 1][7] == Pledge.Status.CANCELLED:
            pledges[open_ids[0] - 1][7] = Pledge.Status.COMMITTED
        per_pledge: dict[int, int] = {}
        for _ in range(sizes.deliveries):
            pid = rng.choice(open_ids)
            per_pledge[pid] = per_pledge.get(pid, 0) + 1

        d_status = ([Delivery.Status.CONFIRMED] * 7 + [Delivery.Status.DELIVERED] * 5 + [Delivery.Status.IN_TRANSIT] * 3
                    + [Delivery.Status.SCHEDULED] * 4 + [Delivery.Status.CANCELLED] * 1)
        totals: dict[int, list[int]] = {}
        deliveries = []
        did = 0
        for pid in sorted(per_pledge):
            k = per_pledge[pid]
            p = pledges[pid - 1]
            p[3] = max(p[3], 2 * k)  # room for k deliveries of at least one unit each
            portion = max(k, int(p[3] * rng.uniform(0.2, 1.0)))
            cuts = sorted(rng.sample(range(1, portion), k - 1)) if k > 1 else []
            parts = [b - a for a, b in zip([0, *cuts], [*cuts, portion], strict=True)]
            t = totals.setdefault(pid, [0, 0, 0])
            for qty in parts:
                status = rng.choice(d_status)
                shipped = delivered = None
                if status in Delivery.SHIPPED:
                    shipped = min(today, p[4] + dt.timedelta(days=rng.randrange(5, 300)))
                    if status in Delivery.DELIVERED:
                        delivered = min(today, shipped + dt.timedelta(days=rng.randrange(1, 21)))
                did += 1
                deliveries.append((did, pid, qty, status, shipped, delivered, "", self.stamp, self.stamp))
                if status != Delivery.Status.CANCELLED:
                    t[0] += qty
                if status in Delivery.SHIPPED:
                    t[1] += qty
                if status in Delivery.DELIVERED:
                    t[2] += qty

        def pledge_rows() -> Iterator[tuple]:
            for pid, donor, item, quantity, announced, due, source, status, rel in pledges:
                allocated, shipped, delivered = totals.get(pid, (0, 0, 0))
                unit = self.item_scale[item]
                value = f"{quantity * max(1, 1_000_000 // max(unit, 1)):.2f}"
                yield (pid, donor, self.recipient_id, item, quantity, value, announced, due, source, status, rel,
                       f"SCALE-{pid:07d}", "", allocated, shipped, delivered, self.stamp, self.stamp)

        w.write(Pledge, ["id", "donor_id", "recipient_id", "item_id", "quantity", "value_eur", "announced_on",
                         "due_on", "source", "status", "releasability", "reference", "notes", "allocated_quantity",
                         "shipped_quantity", "delivered_quantity", "created_at", "updated_at"], pledge_rows())
        w.write(Delivery, ["id", "pledge_id", "quantity", "status", "shipped_on", "delivered_on", "reference",
                           "created_at", "updated_at"], deliveries)

    def _requirements_and_training(self, w: _Writer) -> None:
        rng = self.rng
        year = dt.date(self.today.year, 1, 1)
        rows = []
        for item in range(1, self.sizes.items + 1):
            if rng.random() < 0.2:
                rows.append((len(rows) + 1, self.recipient_id, item, int(self.item_scale[item] * rng.uniform(0.5, 3)),
                             year, dt.date(self.today.year, 12, 31), rng.randint(1, 4), ""))
        w.write(Requirement, ["id", "recipient_id", "item_id", "quantity", "period_from", "period_to", "priority",
                              "notes"], rows)
        training = []
        for donor in self.allies:
            for _ in range(rng.randint(0, 2)):
                committed = rng.randint(20, 2000)
                status = rng.choice(list(TrainingCommitment.Status.values))
                done = committed if status == "completed" else (rng.randint(0, committed) if status == "in_progress"
                                                                 else 0)
                training.append((len(training) + 1, donor, self.recipient_id, rng.choice(PROGRAMMES), committed,
                                 done, status, "", self.stamp))
        w.write(TrainingCommitment, ["id", "donor_id", "recipient_id", "programme", "trainees_committed",
                                     "trainees_completed", "status", "reference", "updated_at"], training)
