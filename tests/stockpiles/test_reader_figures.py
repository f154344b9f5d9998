"""A nation's roll-up from per-item statistics summed by the database (``selectors.reader_figures`` and
``disclosure.rollup_figures_of``) is the roll-up the per-pair path gives (``stored_figures`` then
``nation_positions`` / ``rollup_disclosed``): every row, figure, reason and count per status, for several
readers, today, on a past date and in a frozen snapshot; on hand-built and on randomized small alliances
(3-8 nations, several items, every status, zero and positive shortfalls, surpluses, unknown guidelines,
owed quantities, restricted pledges of other donors so that rule (c) changes those nations' figures), with
rounding, dominance and "pinned" all reached. Its own rows, items and freshness are those of
``stored_figures``; the cell's summed roll-up (``stored_summary``) is its per-pair one too.
"""

import datetime as dt
import random

import pytest
from django.db import connection
from django.utils import timezone

from coordination.access import CELL, Scope
from coordination.models import Category, Item, Nation
from pledges.models import Pledge
from stockpiles import selectors, shortfalls
from stockpiles.models import Shortfall, ShortfallVersion, Snapshot, SnapshotRow

pytestmark = pytest.mark.django_db

STATUSES = (shortfalls.OK, shortfalls.BELOW_GUIDELINE, shortfalls.NO_REPORT, shortfalls.NO_GUIDELINE)


def figures(rng: random.Random, scale: int) -> dict:
    """One pair's stored figures, consistent as the engine writes them (``shortfalls.compute_shortfall``)."""
    status = rng.choice((shortfalls.OK,) * 4 + STATUSES[2:])  # mostly compared, most of them short
    owed = rng.choice([0, 0, rng.randint(1, scale)])
    guideline = rng.choice([rng.randint(scale, 3 * scale)] * 3 + [rng.randint(0, scale), 0])
    guideline *= 20 if rng.random() < 0.1 else 1  # now and then one nation dominates the item
    if status in (shortfalls.OK, shortfalls.BELOW_GUIDELINE):
        on_hand = rng.randint(0, 2 * scale)
        available = on_hand - owed
        shortfall = max(0, guideline - available)
        status = shortfalls.BELOW_GUIDELINE if shortfall > 0 else shortfalls.OK
        coverage = available / guideline if guideline else None
    elif status == shortfalls.NO_REPORT:  # as ``shortfalls.compute_shortfall`` writes them: no shortfall
        on_hand = available = coverage = None
        guideline = rng.choice([guideline, None])
        shortfall = 0
    else:  # no guideline
        guideline = None
        on_hand = rng.randint(0, 4 * scale)
        available = on_hand - owed
        shortfall, coverage = 0, None
    return {"status": status, "on_hand": on_hand, "guideline": guideline, "owed": owed, "available": available,
            "shortfall": shortfall, "coverage": coverage, "rate": rng.choice([None, 0, rng.randint(1, 20)]),
            "months_to_recover": None, "not_recovering": False, "contracted_inflow": 0}


def build(rng: random.Random, seed: int, *, n_nations: int, n_items: int, past: dt.date) -> dict:
    """A random alliance: nations, items, today's rows, versions valid on ``past`` (and some not), a snapshot
    of ``past``, and pledges (restricted ones from several donors: rule c)."""
    today = timezone.localdate()
    tag = seed
    nations = [Nation.objects.create(code=f"{chr(65 + seed % 26)}Z{chr(65 + k)}", name=f"Random {tag} {k}",
                                     role=Nation.Role.RECIPIENT if k == 0 else Nation.Role.ALLY)
               for k in range(n_nations)]
    category = Category.objects.create(name=f"Cat {tag}")
    items = [Item.objects.create(category=category, name=f"Item {tag} {k}", unit="rounds", unit_value_eur=10 + k)
             for k in range(n_items)]
    now = timezone.now()
    snapshot = Snapshot.objects.create(name=f"Snap {tag}", as_of=past, taken_at=now)
    rows, versions, frozen = [], [], []
    for item in items:
        scale = rng.choice([3, 12, 60, 400])  # small values reach the rounding, dominance and pinned rules
        for nation in nations[1:]:
            if rng.random() < 0.1:
                continue  # no row for the pair
            rows.append(Shortfall(nation=nation, item=item, as_of=today, computed_at=now,
                                  recovers_on=None, **figures(rng, scale)))
            if rng.random() < 0.9:
                versions.append(ShortfallVersion(nation=nation, item=item, valid_from=past - dt.timedelta(days=9),
                                                 valid_to=rng.choice([None, past + dt.timedelta(days=3)]),
                                                 recorded_at=now, **figures(rng, scale)))
            versions.append(ShortfallVersion(nation=nation, item=item, valid_from=past - dt.timedelta(days=30),
                                             valid_to=past - dt.timedelta(days=9), recorded_at=now,
                                             **figures(rng, scale)))
            if rng.random() < 0.9:
                frozen.append(SnapshotRow(snapshot=snapshot, nation=nation, item=item, **figures(rng, scale)))
    Shortfall.objects.bulk_create(rows)
    ShortfallVersion.objects.bulk_create(versions)
    SnapshotRow.objects.bulk_create(frozen)
    pledges = []
    for _ in range(rng.randint(2, 3 * n_items)):
        donor, item = rng.choice(nations[1:]), rng.choice(items)
        quantity = rng.randint(1, 80)
        shipped = rng.choice([0, 0, rng.randint(0, quantity), quantity])
        pledges.append(Pledge(
            donor=donor, recipient=nations[0], item=item, quantity=quantity, value_eur=quantity,
            announced_on=rng.choice([past - dt.timedelta(days=40), today - dt.timedelta(days=1)]),
            status=rng.choice([Pledge.Status.COMMITTED, Pledge.Status.ANNOUNCED, Pledge.Status.CANCELLED]),
            source=rng.choice([Pledge.Source.NATIONAL_STOCK] * 3 + [Pledge.Source.PROCUREMENT]),
            releasability=rng.choice(["restricted", "restricted", "releasable"]),
            allocated_quantity=shipped, shipped_quantity=shipped))
    Pledge.objects.bulk_create(pledges)
    return {"nations": nations, "items": items, "snapshot": snapshot}


def scope_of(nation: Nation) -> Scope:
    return Scope(nation_id=nation.pk, nation_code=nation.code, nation_role=nation.role)


def dates(world: dict, past: dt.date) -> dict[str, dict]:
    return {"today": {}, "past": {"as_of": past}, "snapshot": {"as_of": past, "snapshot_id": world["snapshot"].pk}}


def assert_same(world: dict, past: dt.date, django_assert_max_num_queries) -> int:
    """Every reader and date: the statistics' roll-up is the per-pair one. Returns how many rows had a hidden
    figure (so the test can tell that the rules were reached)."""
    hidden = 0
    for day in dates(world, past).values():
        stored = selectors.stored_figures(**day)
        cell = selectors.alliance_rollup(actor=CELL, summary=selectors.stored_summary(**day))
        assert cell == selectors.alliance_rollup(actor=CELL, stored=stored)
        for nation in world["nations"]:
            scope = scope_of(nation)
            per_pair = selectors.alliance_rollup(actor=scope, stored=stored)
            with django_assert_max_num_queries(2):  # the pledges it may not see, then one statement
                read = selectors.reader_figures(actor=scope, **day)
            with django_assert_max_num_queries(0):
                from_stats = selectors.alliance_rollup(actor=scope, stored=read)
            assert from_stats == per_pair, (nation.code, day)
            assert read.visible(scope) == stored.visible(scope)
            assert {i: read.items[i] for i in read.stats} == {i: stored.items[i] for i in read.stats}
            assert (read.as_of, read.last_computed, read.stale) == (stored.as_of, stored.last_computed, stored.stale)
            hidden += sum(1 for row in per_pair if row.reasons)
    return hidden


@pytest.mark.parametrize("seed", range(12))
def test_statistics_give_the_per_pair_rollup(seed, django_assert_max_num_queries):
    rng = random.Random(seed)
    past = timezone.localdate() - dt.timedelta(days=30)
    world = build(rng, seed, n_nations=rng.randint(4, 9), n_items=rng.randint(3, 7), past=past)  # 3-8 allies
    assert assert_same(world, past, django_assert_max_num_queries) >= 0


def test_the_rows_read_without_djangos_converters_give_the_same_figures(monkeypatch):
    """On PostgreSQL ``reader_figures`` reads its rows straight from the cursor (``selectors._fetched``: sums of
    whole numbers come as ``Decimal``); the figures are the ones the ORM's rows give, for every reader and date."""
    if connection.vendor != "postgresql":
        pytest.skip("the cursor path is PostgreSQL's")
    past = timezone.localdate() - dt.timedelta(days=30)
    world = build(random.Random(7), 7, n_nations=7, n_items=5, past=past)
    for day in dates(world, past).values():
        for nation in world["nations"]:
            raw = selectors.reader_figures(actor=scope_of(nation), **day)
            with monkeypatch.context() as m:
                m.setattr(selectors, "_fetched", lambda rows: rows)
                assert selectors.reader_figures(actor=scope_of(nation), **day) == raw, (nation.code, day)


def test_rules_reached_and_rule_c_moves_figures(django_assert_max_num_queries):
    """Over the random alliances, every reason occurs, and rule (c) changes some nation's figures (the
    restricted pledges are not a no-op): the equivalence is tested where it matters."""
    past = timezone.localdate() - dt.timedelta(days=30)
    reasons: set[str] = set()
    moved = 0
    for seed in range(100, 108):
        rng = random.Random(seed)
        world = build(rng, seed, n_nations=rng.randint(6, 9), n_items=rng.randint(3, 7), past=past)
        assert_same(world, past, django_assert_max_num_queries)
        stored = selectors.stored_figures()
        for nation in world["nations"]:
            scope = scope_of(nation)
            for row in selectors.alliance_rollup(actor=scope, stored=stored):
                reasons.update(row.reasons.values())
            with_c = selectors.nation_positions(actor=scope, stored=stored)
            without_c = selectors.nation_positions(stored=stored)
            moved += sum(1 for i, p in with_c.items() for n, q in p.items() if q != without_c[i][n])
    assert {"few_nations", "dominant", "pinned", "related"} <= reasons
    assert moved > 0


def test_hand_built_alliance(nations, django_assert_max_num_queries):
    """Five allies, one item each way: a restricted pledge of USA (unseen by POL) turns USA from short to not
    short for POL; unknown guidelines, a no-report nation, a surplus, a dominant nation."""
    today = timezone.localdate()
    past = today - dt.timedelta(days=30)
    now = timezone.now()
    extra = [Nation.objects.create(code=c, name=f"Nation {c}") for c in ("DEU", "FRA", "ITA")]
    allies = [nations["USA"], nations["POL"], *extra]
    category = Category.objects.create(name="Hand built")
    shells, tanks, fuel = (Item.objects.create(category=category, name=n, unit="rounds", unit_value_eur=1)
                           for n in ("Shells", "Tanks", "Fuel"))

    def row(nation, item, status, on_hand, guideline, owed=0):
        available = None if on_hand is None else on_hand - owed
        shortfall = max(0, guideline - available) if status in shortfalls.COUNTED else 0
        if status in shortfalls.COUNTED:
            status = shortfalls.BELOW_GUIDELINE if shortfall else shortfalls.OK
        return {"nation": nation, "item": item, "status": status, "on_hand": on_hand, "guideline": guideline,
                "owed": owed, "available": available, "shortfall": shortfall,
                "coverage": None if not guideline or available is None else available / guideline}

    ok, no_report, no_guideline = shortfalls.OK, shortfalls.NO_REPORT, shortfalls.NO_GUIDELINE
    spec = [
        row(allies[0], shells, ok, 130, 110, owed=30), row(allies[1], shells, ok, 50, 100),
        row(allies[2], shells, ok, 10, 200), row(allies[3], shells, ok, 300, 100), row(allies[4], shells, ok, 0, 90),
        row(allies[0], tanks, ok, 1, 900), row(allies[1], tanks, ok, 10, 12), row(allies[2], tanks, ok, 5, 20),
        row(allies[3], tanks, no_report, None, 40), row(allies[4], tanks, no_guideline, 3, None),
        row(allies[0], fuel, ok, 5, 6, owed=2), row(allies[1], fuel, ok, 50, 8), row(allies[2], fuel, ok, 3, 5),
        row(allies[3], fuel, ok, 2, 4), row(allies[4], fuel, ok, 1, 3),
    ]
    Shortfall.objects.bulk_create(Shortfall(as_of=today, computed_at=now, **r) for r in spec)
    ShortfallVersion.objects.bulk_create(ShortfallVersion(valid_from=past - dt.timedelta(days=5), recorded_at=now,
                                                          **r) for r in spec)
    snapshot = Snapshot.objects.create(name="Hand built", as_of=past, taken_at=now)
    SnapshotRow.objects.bulk_create(SnapshotRow(snapshot=snapshot, **r) for r in spec)
    for item, quantity in ((shells, 30), (fuel, 2)):  # USA's owed on these is a restricted pledge: POL never sees it
        Pledge.objects.create(donor=allies[0], recipient=nations["UKR"], item=item, quantity=quantity,
                              value_eur=quantity, announced_on=past - dt.timedelta(days=10),
                              status=Pledge.Status.COMMITTED, source=Pledge.Source.NATIONAL_STOCK,
                              releasability="restricted")
    world = {"nations": allies, "snapshot": snapshot}
    assert assert_same(world, past, django_assert_max_num_queries) > 0
    pol = scope_of(allies[1])
    read = selectors.reader_figures(actor=pol)
    stats, _statuses = read.stats[shells.pk]
    assert (stats.shortfall.k, stats.shortfall.own) == (2, 50)  # USA without its restricted pledge: not short
    usa = selectors.reader_figures(actor=scope_of(allies[0]))
    assert (usa.stats[shells.pk][0].shortfall.k, usa.stats[shells.pk][0].shortfall.own) == (3, 10)  # it sees it


def test_reader_figures_serve_their_nation_only(nations):
    read = selectors.reader_figures(actor=scope_of(nations["POL"]))
    with pytest.raises(ValueError):
        selectors.alliance_rollup(actor=scope_of(nations["USA"]), stored=read)
    with pytest.raises(ValueError):
        read.visible(CELL)
    with pytest.raises(ValueError):
        selectors.reader_figures(actor=CELL)
    with pytest.raises(TypeError):
        selectors.nation_positions(actor=scope_of(nations["POL"]), stored=read)
