"""The reads merged to keep every dashboard page within 10 queries (issue 15) give what the separate reads gave:
``pledges.selectors.reader_pledges`` (the pledges a reader may see, the other donors' it may not, rule c, and
those the engine counts as owed, in one statement) and ``stockpiles.reporting.snapshot_with_nations`` (a
snapshot read with the nations and their last reports as of its date)."""

import datetime as dt

import pytest
from django.utils import timezone

from coordination.access import CELL, scope_for
from pledges import selectors as pledge_selectors
from stockpiles import snapshot_selectors
from stockpiles.engine import shortfall_inputs
from stockpiles.reporting import nations_with_last_report, snapshot_with_nations
from stockpiles.services import snapshot_create
from tests import factories
from tests.dashboard.test_every_page_ten_queries import world

pytestmark = pytest.mark.django_db

DATES = (None, dt.date(2024, 6, 1), dt.date(2025, 6, 1))


def _owed(inputs):
    return sorted((o.quantity, o.shipped, o.cancelled) for o in inputs.pledges)


def _facts_key(facts):
    return sorted(facts, key=lambda f: f.pledge_id)


@pytest.mark.parametrize("who", ["coordinator", "polish_officer", "us_officer"])
def test_reader_pledges_equal_the_separate_reads(nations, who, request, django_assert_num_queries):
    scope = scope_for(request.getfixturevalue(who))
    demo, _snapshot = world(nations)
    pairs = [(n.pk, demo["shell"].pk) for n in nations.values()]
    for as_of in DATES:
        for item in (None, demo["shell"]):
            with django_assert_num_queries(1):
                merged = pledge_selectors.reader_pledges(actor=scope, as_of=as_of, item=item, owed=True)
            alone = pledge_selectors._pledge_facts(scope=None if scope.is_cell else scope, as_of=as_of, item=item)
            assert _facts_key(merged.facts) == _facts_key(alone)
            unseen = pledge_selectors.unseen_owed_by_pair(actor=scope, as_of=as_of,
                                                          item_ids=None if item is None else [item.pk])
            assert merged.unseen == unseen
            on = as_of or timezone.localdate()
            read = shortfall_inputs(pairs=pairs, as_of=on)
            given = shortfall_inputs(pairs=pairs, as_of=on, owed=merged.owed)
            assert {p: _owed(i) for p, i in read.items()} == {p: _owed(i) for p, i in given.items()}
    # the restricted USA pledge: inside what the cell and the USA see, never inside what POL sees
    merged = pledge_selectors.reader_pledges(actor=scope, as_of=None, item=demo["shell"], owed=True)
    hidden = (nations["USA"].pk, demo["shell"].pk) in merged.unseen
    assert hidden == (who == "polish_officer")


@pytest.mark.parametrize("who", ["coordinator", "polish_officer"])
def test_snapshot_with_nations_equals_the_separate_reads(nations, who, request, django_assert_num_queries):
    scope = scope_for(request.getfixturevalue(who))
    demo, past_id = world(nations)
    # a report of POL before the past snapshot's date (the fixture's are later): seen by the cell and by POL
    factories.StockReportFactory(nation=nations["POL"], item=demo["shell"], as_of=dt.date(2025, 5, 1))
    today_id = snapshot_create(actor=CELL, name="Today", as_of=timezone.localdate()).pk
    for pk in (past_id, today_id):
        alone = snapshot_selectors.snapshot_get(actor=scope, snapshot_id=pk)
        with django_assert_num_queries(1):
            snapshot, read = snapshot_with_nations(actor=scope, snapshot_id=str(pk))
        assert (snapshot.pk, snapshot.name, snapshot.as_of, snapshot.taken_at, snapshot.note) == (
            alone.pk, alone.name, alone.as_of, alone.taken_at, alone.note)
        as_of = alone.as_of if alone.as_of < timezone.localdate() else None
        expected = nations_with_last_report(actor=scope, as_of=as_of)
        assert {k: (n.code, n.last_report) for k, n in read.items()} == {
            k: (n.code, n.last_report) for k, n in expected.items()}
        if pk == past_id:  # not vacuous: some nation the reader may see had reported by then
            assert any(n.last_report for n in read.values())
    with django_assert_num_queries(1):
        assert snapshot_with_nations(actor=scope, snapshot_id="999999")[0] is None
    with django_assert_num_queries(0):
        assert snapshot_with_nations(actor=scope, snapshot_id="nope") == (None, {})
