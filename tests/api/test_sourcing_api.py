"""GET /api/v1/sourcing/ and POST /api/v1/sourcing/what-if/ on the worked example
(tests/stockpiles/sourcing_scenario.py), as the cell and with national tokens."""

import pytest

from coordination.api.tokens import token_issue
from pledges.models import Pledge
from tests import factories
from tests.api.conftest import client_with
from tests.stockpiles import sourcing_scenario
from tests.stockpiles.sourcing_scenario import disclosure_as_when_written  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db

URL = "/api/v1/sourcing/"
WHAT_IF = "/api/v1/sourcing/what-if/"


@pytest.fixture
def world(nations):
    return sourcing_scenario.build(nations)


@pytest.fixture
def deu(world):
    return client_with(token_issue(nation=world["DEU"], name="DEU logistics")[1])


def test_the_cell_gets_the_headroom_table_and_the_split(cell, world):
    response = cell.get(URL, {"item": world["shell"].pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["need"], body["need_source"], body["horizon_months"]) == (60_000, "requirement", 12)
    assert len(body["months"]) == 13 and body["months"][2] == world["month"](2).isoformat()
    rows = {r["nation"]: r for r in body["headroom"]}
    assert list(rows) == ["FRA", "DEU", "ITA"]
    assert rows["FRA"]["headroom_now"] == 40_000 and rows["FRA"]["available"] == 50_000
    assert rows["ITA"]["headroom_by_month"][:3] == [0, 1_000, 17_000] and rows["ITA"]["contracted_inflow"] == 15_000
    assert {(u["nation"], u["reason"]) for u in body["unknown"]} == {("POL", "no_report"), ("USA", "no_report")}
    split = body["split"]
    assert (split["covered"], split["gap"], split["covered_on"]) == (60_000, 0, world["month"](2).isoformat())
    assert split["lines"][0] == {
        "nation": "FRA", "month": 0, "on": world["today"].isoformat(), "quantity": 40_000, "headroom": 40_000,
        "given_in_earlier_lines": 0, "reason": "now", "explanation": "FRA: 40,000 now, from headroom 40,000"}
    assert sum(line["quantity"] for line in split["lines"]) == 60_000


def test_a_quantity_and_an_nsn(cell, world):
    world["shell"].nsn = "1320015550155"
    world["shell"].save()
    body = cell.get(URL, {"item": "1320-01-555-0155", "quantity": 120_000}).json()
    assert (body["need"], body["need_source"]) == (120_000, "quantity")
    assert (body["split"]["covered"], body["split"]["gap"], body["split"]["covered_on"]) == (101_000, 19_000, None)


def test_a_nation_sees_only_its_own_row_and_its_own_lines(deu, world, settings):
    # One other nation enough: every month's total is shown, so DEU's split (computed from those totals) is too.
    settings.AGGREGATE_MIN_OTHER_NATIONS = 1
    body = deu.get(URL, {"item": world["shell"].pk}).json()
    assert [r["nation"] for r in body["headroom"]] == ["DEU"]
    assert body["unknown"] == [] and body["others_hidden"] is True
    assert {line["nation"] for line in body["split"]["lines"]} == {"DEU"}


def test_a_nation_without_enough_others_sees_no_split(deu, world, settings):
    settings.AGGREGATE_MIN_OTHER_NATIONS = 3
    body = deu.get(URL, {"item": world["shell"].pk}).json()
    assert body["split"] is None and body["split_suppressed"] is True
    assert body["headroom_total_by_month"] is None


@pytest.mark.parametrize("params, field", [
    ({}, "item"), ({"item": "abc"}, "item"), ({"item": 999999}, "item"),
    ({"item": "ITEM", "quantity": 0}, "quantity"), ({"item": "ITEM", "quantity": "x"}, "quantity"),
    ({"item": "ITEM", "as_of": "2999-01-01"}, "as_of"), ({"item": "ITEM", "as_of": "1900-01-01"}, "as_of"),
    ({"item": "ITEM", "as_of": "yesterday"}, "as_of"),
])
def test_bad_input_is_a_400_with_the_field(cell, world, params, field):
    params = {k: (world["shell"].pk if v == "ITEM" else v) for k, v in params.items()}
    response = cell.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_anonymous_is_refused(anon, world):
    assert anon.get(URL, {"item": world["shell"].pk}).status_code in (401, 403)
    assert anon.post(WHAT_IF, {}, format="json").status_code in (401, 403)


def test_what_if_of_own_pledge_writes_nothing(deu, world):
    count = Pledge.objects.count()
    response = deu.post(WHAT_IF, {"item": world["shell"].pk, "quantity": 10_000, "source": "national_stock",
                                  "due_on": world["month"](3).isoformat()}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["donor"] == "DEU" and body["counted_as_owed"] is True
    assert (body["donor_before"]["shortfall"], body["donor_after"]["shortfall"]) == (2_000, 12_000)
    assert (body["donor_before"]["months_to_recover"], body["donor_after"]["months_to_recover"]) == (1, 4)
    assert body["donor_after"]["coverage"] == -0.2
    assert body["earliest_on"] == world["month"](4).isoformat() and body["due_before_headroom"] is True
    assert body["recipient"] == "UKR"
    assert (body["recipient_before"]["uncovered"], body["recipient_after"]["uncovered"]) == (60_000, 50_000)
    assert Pledge.objects.count() == count


def test_what_if_from_new_production_leaves_the_donor_unchanged(deu, world):
    body = deu.post(WHAT_IF, {"item": world["shell"].pk, "quantity": 10_000, "source": "new_production"},
                    format="json").json()
    assert body["donor_before"] == body["donor_after"] and body["counted_as_owed"] is False
    assert body["recipient_after"]["uncovered"] == 50_000


def test_what_if_for_another_nation_is_a_400_and_the_cell_must_name_the_donor(deu, cell, world):
    response = deu.post(WHAT_IF, {"donor": "FRA", "item": world["shell"].pk, "quantity": 1}, format="json")
    assert response.status_code == 400 and "donor" in response.json()
    response = cell.post(WHAT_IF, {"item": world["shell"].pk, "quantity": 1}, format="json")
    assert response.status_code == 400 and "donor" in response.json()
    response = cell.post(WHAT_IF, {"donor": "FRA", "item": world["shell"].pk, "quantity": 45_000}, format="json")
    assert response.status_code == 200 and response.json()["drops_below_guideline"] is True


@pytest.mark.parametrize("body, field", [
    ({"quantity": 1}, "item"), ({"item": "ITEM"}, "quantity"), ({"item": "ITEM", "quantity": -5}, "quantity"),
    ({"item": "ITEM", "quantity": 1, "source": "gift"}, "source"),
    ({"item": "ITEM", "quantity": 1, "due_on": "soon"}, "due_on"),
    ({"item": "ITEM", "quantity": 1, "recipient": "FRA"}, "recipient"),
    ({"item": 10**30, "quantity": 1}, "item"),
])
def test_what_if_bad_input(deu, world, body, field):
    body = {k: (world["shell"].pk if v == "ITEM" else v) for k, v in body.items()}
    response = deu.post(WHAT_IF, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_query_counts(cell, deu, world, django_assert_max_num_queries):
    cell.get(URL, {"item": world["shell"].pk})  # the session's first write after login is not the endpoint's
    # cell session (session, user, OTP device, membership); item; nations;
    # recipient gaps (requirements, pledges, items); engine inputs (5)
    with django_assert_max_num_queries(4 + 11):  # + the engine's allies read
        assert cell.get(URL, {"item": world["shell"].pk}).status_code == 200
    # token (and its last-use stamp); the same reads
    with django_assert_max_num_queries(3 + 12):  # + allies; a nation: whether a restricted pledge enters the item
        assert deu.get(URL, {"item": world["shell"].pk}).status_code == 200
    # token; item; engine inputs (5); default recipient: nations, requirements; recipient gaps (3)
    with django_assert_max_num_queries(3 + 14):  # + allies; restricted-pledge check
        assert deu.post(WHAT_IF, {"item": world["shell"].pk, "quantity": 5}, format="json").status_code == 200


def test_in_the_schema(cell):
    schema = cell.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/sourcing/" in schema["paths"] and "/api/v1/sourcing/what-if/" in schema["paths"]


# --- Access and disclosure of the what-if (issue 17: a nation tries its own pledges; anything about other
# nations follows coordination.disclosure) ----------------------------------------------------------------

def test_what_if_of_another_nations_pledge_is_refused_with_a_message(deu, world):
    count = (Pledge.objects.count(), Pledge.history.count())
    response = deu.post(WHAT_IF, {"donor": "FRA", "item": world["shell"].pk, "quantity": 1_000}, format="json")
    assert response.status_code == 400
    assert response.json()["donor"] == ["You may only try your own nation's pledges."]
    assert "donor_before" not in response.json()  # no figure of FRA's in the refusal
    # Its own code is fine (the same as leaving the donor out).
    response = deu.post(WHAT_IF, {"donor": "DEU", "item": world["shell"].pk, "quantity": 1_000}, format="json")
    assert response.status_code == 200 and response.json()["donor"] == "DEU"
    assert (Pledge.objects.count(), Pledge.history.count()) == count


def test_the_recipient_gap_leaves_out_another_donors_restricted_pledge(deu, cell, world):
    """Rule (c): a record the reader may not see never enters a figure shown to it. FRA's restricted pledge
    of 20,000 to UKR is in the cell's gap, not in DEU's; FRA's public pledge of 5,000 is in both (a record
    every nation may read on its own, so its total is not a disclosure of a hidden figure)."""
    common = {"donor": world["FRA"], "recipient": world["UKR"], "item": world["shell"], "source": "new_production",
              "announced_on": world["today"], "due_on": world["month"](6)}
    factories.PledgeFactory(quantity=20_000, releasability="restricted", **common)
    factories.PledgeFactory(quantity=5_000, releasability="public", **common)
    body = {"item": world["shell"].pk, "quantity": 10_000}
    mine = deu.post(WHAT_IF, body, format="json").json()
    assert mine["recipient_before"] == {"required": 60_000, "pledged": 5_000, "uncovered": 55_000}
    assert mine["recipient_after"] == {"required": 60_000, "pledged": 15_000, "uncovered": 45_000}
    # The same figure as DEU's recipient gaps everywhere else (API, item page): one rule.
    gaps = deu.get("/api/v1/fulfilment/gaps/").json()
    listed = gaps["results"] if isinstance(gaps, dict) else gaps
    assert [g["uncovered"] for g in listed if g["item"] == world["shell"].pk] == [55_000]
    cells = cell.post(WHAT_IF, {**body, "donor": "DEU"}, format="json").json()
    assert cells["recipient_before"]["uncovered"] == 35_000 and cells["recipient_after"]["uncovered"] == 25_000
    # DEU's own figures are its own: the same for DEU and the cell, exact (no rounding of its own position).
    assert mine["donor_before"] == cells["donor_before"] and mine["donor_after"]["shortfall"] == 12_000
