"""Every dashboard page runs a fixed number of SQL queries, whatever the data size.

Each page is measured on the small scenario and again after adding 40 nations × 9 items of stock,
160 pledges with deliveries, 40 training commitments and 30 more nations' call-offs: the ceiling is the same.
The ceilings are maxima, pinned to what the pages run (baseline: session, user, the session's OTP device
(django-otp), and one Membership read that serves both the language and the access scope; no session
write between refreshes).
"""

import datetime as dt

import pytest
from django.urls import reverse

from stockpiles import engine
from tests import factories
from tests.dashboard import scenario

pytestmark = pytest.mark.django_db

# session + user + OTP device + membership (language and scope) = 4, then per page:
CEILINGS = {
    # nations (once, shared); last computed; a recompute pending too long (staleness);
    # heat map (totals per nation, category and status; categories);
    # largest; roll-up (totals per item and status; item names); fulfilment by donor (pledges);
    # deliveries per month; training; overdue (candidates; the shown page in full); alerts (and their count);
    # headline row: items' unit values, reporting (shortfall counts, last reports, nations); for a nation, the
    # other donors' pledges it may not see (left out of the roll-up's figures: disclosure rule c)
    "overview": 4 + 20,
    # nation; stock rows (a page of them) and their count when there are more than a page; fulfilment by item
    # (pledges, items); its pledges; training
    "nation": 4 + 7,
    # item; nations (once, shared); shortfall rows; recipient gaps (requirements, pledges, items); fulfilment by
    # donor (pledges); roll-up (totals per status; item name); stock history; projection with contracted
    # inflows (current stock, guidelines, allies, rates, schedule lines, pledges, nations)
    "item": 4 + 17,
    # agreements (agreements, participants, call-off totals); demand vs contracted vs capacity (shortfall rows,
    # recipient gaps: requirements, pledges, nations, items; orders, capacity rates, line rates, items);
    # schedule lines; for a nation, the other donors' pledges it may not see (disclosure rule c)
    "procurement": 4 + 14,
    # filter choices (donor, recipient, category, item) and their validation, count, page
    "pledges": 4 + 7,
    "pledges_htmx": 4 + 2,
}


def pages(demo):
    return {
        "overview": ("/", {}),
        "nation": ("/nations/USA/", {}),
        "item": (reverse("dashboard:item", args=[demo["shell"].pk]), {}),
        "pledges": ("/pledges/", {"donor": "USA", "overdue": "true"}),
        "procurement": ("/procurement/", {}),
    }


def more_contracts(nations, demo, count: int) -> None:
    """``count`` more nations in the agreement, each with a call-off of two schedule lines."""
    agreement = demo["agreement"]
    for n in range(count):
        nation = factories.NationFactory(code=f"Q{chr(65 + n // 26)}{chr(65 + n % 26)}", name=f"Contract nation {n}")
        factories.AgreementParticipantFactory(agreement=agreement, nation=nation, planned_quantity=100,
                                              joined_on=dt.date(2024, 1, 1))
        order = factories.OrderFactory(nation=nation, item=agreement.item, agreement=agreement, quantity=100,
                                       ordered_on=dt.date(2024, 8, 1))
        for month in (1, 2):
            factories.OrderScheduleLineFactory(order=order, due_on=demo["today"] + dt.timedelta(days=31 * month),
                                               quantity=50)


def login(client, user):
    """Log in, and make the first request, which stamps the session (SessionRefreshMiddleware saves it then,
    and again only after SESSION_REFRESH_AFTER: tests/dashboard/test_session_refresh.py)."""
    client.force_login(user)
    client.get("/api/v1/whoami/")  # /healthz answers before the session middleware


def test_fixed_query_counts(client, coordinator, nations, demo, django_assert_max_num_queries):
    demo = {**demo, **scenario.procurement(nations, demo)}
    login(client, coordinator)
    for size in ("small", "large"):
        if size == "large":
            scenario.bulk(nations, extra_nations=40)
            more_contracts(nations, demo, 30)
        for name, (url, params) in pages(demo).items():
            with django_assert_max_num_queries(CEILINGS[name]):
                assert client.get(url, params).status_code == 200
        with django_assert_max_num_queries(CEILINGS["pledges_htmx"]):
            client.get("/pledges/", {"page": 2}, headers={"HX-Request": "true"})


# As of a past date the stock figures are a read of the stored history (ShortfallVersion, docs/history.md):
# one query per table that shows them, where today's pages read the stored rows. The pledge, delivery and
# training tables as of the date compute from the facts (pledges, deliveries shipped by then).
AS_OF_CEILINGS = {
    # today's 18, minus the heat map's stored totals, plus: versions (heat map) and their items' categories;
    # versions (largest) with nations and items; versions (roll-up); past deliveries per pledge; the headline
    # row as of D (items' unit values; reporting then: versions, last reports, nations) and the alerts open then
    "overview": 4 + 25,
    # today's 10 plus: versions of the nation (all of them, not a page) with nations and items; past
    # deliveries per pledge; training as recorded then (its history)
    "nation": 4 + 10,
    "item": 4 + 20,
}


def test_as_of_pages_have_a_fixed_count_too(client, coordinator, nations, demo, django_assert_max_num_queries):
    """The issue measured 39 queries and 33 s for the overview as of a date at full size: the Shortfall
    recompute from the history. Now the history is read, with the same count at any size."""
    engine.shortfall_history_rebuild_locked()
    login(client, coordinator)
    day = "2025-06-01"
    urls = {"overview": "/", "nation": "/nations/USA/", "item": reverse("dashboard:item", args=[demo["shell"].pk])}
    for size in ("small", "large"):
        if size == "large":
            scenario.bulk(nations, extra_nations=20)
            engine.shortfall_history_rebuild_locked()
        for name, url in urls.items():
            with django_assert_max_num_queries(AS_OF_CEILINGS[name]):
                assert client.get(url, {"as_of": day}).status_code == 200


def test_officer_overview_fixed(client, polish_officer, nations, demo, django_assert_max_num_queries):
    login(client, polish_officer)
    scenario.bulk(nations, extra_nations=20)
    with django_assert_max_num_queries(CEILINGS["overview"]):
        client.get("/")


def test_officer_procurement_fixed(client, polish_officer, nations, demo, django_assert_max_num_queries):
    demo = {**demo, **scenario.procurement(nations, demo)}
    login(client, polish_officer)
    with django_assert_max_num_queries(CEILINGS["procurement"]) as small:
        assert client.get("/procurement/").status_code == 200
    scenario.bulk(nations, extra_nations=20)
    more_contracts(nations, demo, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/procurement/").status_code == 200
