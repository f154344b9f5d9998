"""Every dashboard page runs a fixed number of SQL queries, whatever the data size.

Each page is measured on the small scenario and again after adding 40 nations × 9 items of stock,
160 pledges with deliveries and 40 training commitments: the ceiling is the same.
The ceilings are maxima, pinned to what the pages run (baseline: session, user, and one Membership read
that serves both the language and the access scope; no session write between refreshes).
"""

import pytest
from django.urls import reverse

from tests.dashboard import scenario

pytestmark = pytest.mark.django_db

# session + user + membership (language and scope) = 3, then per page:
CEILINGS = {
    # nations (once, shared); last computed; heat map (totals per nation, category and status; categories);
    # largest; roll-up (totals per item and status; item names); fulfilment by donor (pledges);
    # deliveries per month; training; overdue (candidates; the shown page in full); alerts
    "overview": 3 + 13,
    # nation; stock rows (a page of them) and their count when there are more than a page; fulfilment by item
    # (pledges, items); its pledges; training
    "nation": 3 + 7,
    # item; nations (once, shared); shortfall rows; recipient gaps (requirements, pledges, items); fulfilment by
    # donor (pledges); roll-up (totals per status; item name); stock history
    "item": 3 + 10,
    # filter choices (donor, recipient, category, item) and their validation, count, page
    "pledges": 3 + 7,
    "pledges_htmx": 3 + 2,
}


def pages(demo):
    return {
        "overview": ("/", {}),
        "nation": ("/nations/USA/", {}),
        "item": (reverse("dashboard:item", args=[demo["shell"].pk]), {}),
        "pledges": ("/pledges/", {"donor": "USA", "overdue": "true"}),
    }


def login(client, user):
    """Log in, and make the first request, which stamps the session (SessionRefreshMiddleware saves it then,
    and again only after SESSION_REFRESH_AFTER: tests/dashboard/test_session_refresh.py)."""
    client.force_login(user)
    client.get("/healthz")


def test_fixed_query_counts(client, coordinator, nations, demo, django_assert_max_num_queries):
    login(client, coordinator)
    for size in ("small", "large"):
        if size == "large":
            scenario.bulk(nations, extra_nations=40)
        for name, (url, params) in pages(demo).items():
            with django_assert_max_num_queries(CEILINGS[name]):
                assert client.get(url, params).status_code == 200
        with django_assert_max_num_queries(CEILINGS["pledges_htmx"]):
            client.get("/pledges/", {"page": 2}, headers={"HX-Request": "true"})


def test_as_of_page_has_a_fixed_count_too(client, coordinator, nations, demo, django_assert_max_num_queries):
    login(client, coordinator)
    day = "2025-06-01"
    # The as-of figures come from the engine's fixed set of input queries instead of the stored rows.
    with django_assert_max_num_queries(40) as small:
        client.get("/", {"as_of": day})
    scenario.bulk(nations, extra_nations=20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/", {"as_of": day})


def test_officer_overview_fixed(client, polish_officer, nations, demo, django_assert_max_num_queries):
    login(client, polish_officer)
    scenario.bulk(nations, extra_nations=20)
    with django_assert_max_num_queries(CEILINGS["overview"]):
        client.get("/")
