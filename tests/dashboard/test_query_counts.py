"""Every dashboard page runs a fixed number of SQL queries, whatever the data size.

Each page is measured on the small scenario and again after adding 40 nations × 9 items of stock,
160 pledges with deliveries, 40 training commitments and 30 more nations' call-offs: the ceiling is the same.
The ceilings are maxima, pinned to what the pages run (baseline: the session, and one read of the user with its
Membership, which serves the language and the access scope, and with the check of the session's OTP device;
no session write between refreshes).
"""

import datetime as dt

import pytest
from django.urls import reverse

from stockpiles import engine
from tests import factories
from tests.dashboard import scenario

pytestmark = pytest.mark.django_db

# session + user (one read: its Membership and nation, and the session's OTP device checked in the same
# statement: coordination.auth.MembershipBackend) = 2, then per page (every page within 10 in all:
# tests/dashboard/test_every_page_ten_queries.py):
CEILINGS = {
    # nations with their last stock reports; the stored figures (every pair, items joined; last computed and
    # pending marks) for the heat map, largest, roll-up, categories, reporting and freshness; fulfilment by
    # donor (pledges); deliveries per month; overdue (the page shown in full; the count from the donors');
    # alerts with their count; training; for a nation, the other donors' pledges it may not see (rule c)
    "overview": 2 + 8,
    # nation; stock rows (a page of them, with their count); fulfilment by item (pledges, items); its pledges;
    # training
    "nation": 2 + 6,
    # item; nations; the item's stored figures (rows and roll-up); for a nation the pledges it may not see;
    # requirements; the item's pledges (gaps and donors); stock history; schedule lines (projection)
    "item": 2 + 8,
    # agreements, participants; the orders (call-offs and contracted); stored figures; for a nation the pledges
    # it may not see; requirements, pledges; production rates; schedule lines; items without a stored row
    "procurement": 2 + 9,
    # filter choices (donor, recipient, category, item) and their validation, count, page
    "pledges": 2 + 7,
    "pledges_htmx": 2 + 2,
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
    # today's, with the history's versions valid then instead of the stored rows, the pledges as of then (with
    # their deliveries then, in the same statement) for fulfilment and overdue, training as recorded then
    "overview": 2 + 8,
    "nation": 2 + 6,
    "item": 2 + 8,
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
