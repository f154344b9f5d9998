"""Every dashboard page runs a fixed number of SQL queries, whatever the data size.

Each page is measured on the small scenario and again after adding 40 nations × 9 items of stock,
160 pledges with deliveries and 40 training commitments: the ceiling is the same.
The ceilings (baseline: session, user, OTP device, membership language, scope) are listed per page.
"""

import pytest
from django.urls import reverse

from tests.dashboard import scenario

pytestmark = pytest.mark.django_db

# session + user + OTP device (django-otp checks the session's device) + membership language + scope = 5,
# then per page:
CEILINGS = {
    # last computed; matrix (rows, categories of items, nations, categories); largest; roll-up (rows, items);
    # fulfilment by donor (pledges, nations); deliveries per month; training (rows, nations); overdue; alerts
    "overview": 5 + 18,
    # nation; stock rows; fulfilment by item (pledges, items); its pledges; training; coverage chart reuses rows
    "nation": 5 + 9,
    # item; shortfall rows; recipient gaps (requirements, pledges, nations, items); fulfilment by donor
    # (pledges, nations); roll-up (rows, items); stock history; projection with contracted inflows (current
    # stock, guidelines, rates, schedule lines, pledges, nations)
    "item": 5 + 20,
    # agreements (agreements, participants, call-off totals); demand vs contracted vs capacity (shortfall rows,
    # recipient gaps: requirements, pledges, nations, items; orders, capacity rates, line rates, items);
    # schedule lines; the session save (savepoint, update, release)
    "procurement": 5 + 16,
    # filter choices (donor, recipient, category, item) and their validation, count, page
    "pledges": 5 + 10,
    "pledges_htmx": 5 + 5,
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
    import datetime as dt

    from tests import factories

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


def test_fixed_query_counts(client, coordinator, nations, demo, django_assert_max_num_queries):
    demo = {**demo, **scenario.procurement(nations, demo)}
    client.force_login(coordinator)
    for size in ("small", "large"):
        if size == "large":
            scenario.bulk(nations, extra_nations=40)
            more_contracts(nations, demo, 30)
        for name, (url, params) in pages(demo).items():
            with django_assert_max_num_queries(CEILINGS[name]):
                assert client.get(url, params).status_code == 200
        with django_assert_max_num_queries(CEILINGS["pledges_htmx"]):
            client.get("/pledges/", {"page": 2}, headers={"HX-Request": "true"})


def test_as_of_page_has_a_fixed_count_too(client, coordinator, nations, demo, django_assert_max_num_queries):
    client.force_login(coordinator)
    day = "2025-06-01"
    # The as-of figures come from the engine's fixed set of input queries instead of the stored rows (41: the
    # inputs now include contracted schedule lines, and the OTP middleware reads the session's device).
    with django_assert_max_num_queries(41) as small:
        client.get("/", {"as_of": day})
    scenario.bulk(nations, extra_nations=20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/", {"as_of": day})


def test_officer_overview_fixed(client, polish_officer, nations, demo, django_assert_max_num_queries):
    client.force_login(polish_officer)
    scenario.bulk(nations, extra_nations=20)
    with django_assert_max_num_queries(CEILINGS["overview"]):
        client.get("/")


def test_officer_procurement_fixed(client, polish_officer, nations, demo, django_assert_max_num_queries):
    demo = {**demo, **scenario.procurement(nations, demo)}
    client.force_login(polish_officer)
    with django_assert_max_num_queries(CEILINGS["procurement"]) as small:
        assert client.get("/procurement/").status_code == 200
    scenario.bulk(nations, extra_nations=20)
    more_contracts(nations, demo, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/procurement/").status_code == 200
