"""As of a past date D, every table shows the state at D (issue 15): alerts open at D, overdue judged on D
with the deliveries up to D, training as recorded at D, pledges announced by D, agreements valid at D,
deliveries up to D, the reporting banner as of D; exports say D in the file and its name; empty states
say what was true then.

Each history is built by hand: for each table one record valid before D (shown) and one after D (not shown),
and the figures at D checked exactly.
"""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from pledges.models import Delivery, Pledge
from stockpiles.models import Alert
from tests import factories

pytestmark = pytest.mark.django_db

D = dt.date(2024, 3, 1)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def backdate_history(record, day: dt.date) -> None:
    """Move the record's history rows so far (its creation) to ``day``: as if entered then."""
    record.history.all().update(history_date=at(day))


@pytest.fixture
def history(nations, item):
    usa, pol, ukr = nations["USA"], nations["POL"], nations["UKR"]
    # Pledges: one announced before D, due before D, 40 delivered by D and the rest after (today: complete);
    # one announced before D but due after D; one announced after D.
    late = factories.PledgeFactory(donor=usa, recipient=ukr, item=item, quantity=100, value_eur=100_000,
                                   announced_on=dt.date(2023, 1, 10), due_on=dt.date(2024, 1, 31))
    factories.DeliveryFactory(pledge=late, quantity=40, status=Delivery.Status.DELIVERED,
                              shipped_on=dt.date(2024, 1, 20), delivered_on=dt.date(2024, 2, 10))
    factories.DeliveryFactory(pledge=late, quantity=60, status=Delivery.Status.DELIVERED,
                              shipped_on=dt.date(2024, 3, 1), delivered_on=dt.date(2024, 3, 2))
    Pledge.objects.filter(pk=late.pk).update(delivered_quantity=100, shipped_quantity=100, allocated_quantity=100)
    due_later = factories.PledgeFactory(donor=usa, recipient=ukr, item=item, quantity=50, value_eur=50_000,
                                        announced_on=dt.date(2023, 6, 1), due_on=dt.date(2024, 12, 1))
    after = factories.PledgeFactory(donor=usa, recipient=ukr, item=item, quantity=70, value_eur=70_000,
                                    announced_on=dt.date(2024, 4, 1), due_on=dt.date(2024, 5, 1))
    # Alerts: closed before D; open at D (closed after); opened after D.
    Alert.objects.create(kind=Alert.Kind.BELOW_GUIDELINE, nation=usa, item=item, key="below:closed-before",
                         message="closed before D", opened_at=at(dt.date(2024, 1, 5)),
                         closed_at=at(dt.date(2024, 2, 1)))
    Alert.objects.create(kind=Alert.Kind.BELOW_GUIDELINE, nation=usa, item=item, key="below:open-at-d",
                         message="open at D", opened_at=at(dt.date(2024, 2, 15)), closed_at=at(dt.date(2024, 3, 5)))
    Alert.objects.create(kind=Alert.Kind.PLEDGE_OVERDUE, nation=usa, pledge=due_later, key="overdue:after-d",
                         message="opened after D", opened_at=at(dt.date(2024, 12, 2)))
    # Training: recorded before D with 10 completed, 80 completed now; another recorded only now.
    early = factories.TrainingCommitmentFactory(donor=usa, recipient=ukr, programme="Patriot crew",
                                                trainees_committed=100, trainees_completed=10)
    backdate_history(early, dt.date(2024, 1, 2))
    early.trainees_completed = 80
    early.save()
    factories.TrainingCommitmentFactory(donor=usa, recipient=ukr, programme="F-16 pilot", trainees_committed=12)
    # Agreements: one valid before D only, one valid at D.
    factories.FrameworkAgreementFactory(name="Expired frame", lead_nation=pol, item=item,
                                        valid_from=dt.date(2022, 1, 1), valid_to=dt.date(2023, 12, 31))
    factories.FrameworkAgreementFactory(name="Current frame", lead_nation=pol, item=item,
                                        valid_from=dt.date(2024, 1, 1), valid_to=None)
    factories.FrameworkAgreementFactory(name="Future frame", lead_nation=pol, item=item,
                                        valid_from=dt.date(2024, 6, 1), valid_to=None)
    # Stock reports: the latest on or before D is 2024-01-05 (56 days before D: stale then).
    factories.StockReportFactory(nation=usa, item=item, as_of=dt.date(2024, 1, 5))
    factories.StockReportFactory(nation=usa, item=item, as_of=dt.date(2024, 4, 1))
    return {"late": late, "due_later": due_later, "after": after, "early": early}


def table_text(response, key: str) -> str:
    table = response.context["tables"][key]
    return repr(table.rows) + str(table.empty)


def test_overview_alerts_are_those_open_at_d(client, coordinator, history):
    client.force_login(coordinator)
    table = client.get("/", {"as_of": D.isoformat()}).context["tables"]["alerts"]
    assert [row[-1] for row in table.rows] == ["open at D"]
    table = client.get("/").context["tables"]["alerts"]  # today: the one still open
    assert [row[-1] for row in table.rows] == ["opened after D"]


def test_overview_overdue_is_judged_on_d_with_the_deliveries_up_to_d(client, coordinator, history):
    client.force_login(coordinator)
    table = client.get("/", {"as_of": D.isoformat()}).context["tables"]["overdue"]
    assert table.total == 1
    [row] = table.rows
    # due 2024-01-31, 30 days overdue on 2024-03-01, 60 of 100 outstanding (40 delivered by then)
    assert row[3] == dt.date(2024, 1, 31) and row[4] == 30 and row[5] == 60
    today_rows = client.get("/").context["tables"]["overdue"].rows  # today: fully delivered; the later ones due
    assert [r[3] for r in today_rows] == [dt.date(2024, 5, 1), dt.date(2024, 12, 1)]


def test_overview_training_as_recorded_at_d(client, coordinator, history):
    client.force_login(coordinator)
    table = client.get("/", {"as_of": D.isoformat()}).context["tables"]["training"]
    assert [row[1:4] for row in table.rows] == [["Patriot crew", 100, 10]]
    table = client.get("/").context["tables"]["training"]
    assert sorted(row[1:4] for row in table.rows) == [["F-16 pilot", 12, 0], ["Patriot crew", 100, 80]]


def test_overview_fulfilment_and_deliveries_up_to_d(client, coordinator, history):
    client.force_login(coordinator)
    response = client.get("/", {"as_of": D.isoformat()})
    [donor] = response.context["tables"]["fulfilment"].rows
    # two pledges announced by D (100 + 50 = EUR 150,000); 40 delivered of the first = EUR 40,000; one overdue
    assert donor[1:] == [2, 150_000, 40_000, pytest.approx(40_000 / 150_000), 1]
    months = response.context["tables"]["deliveries"].rows
    assert months == [["2024-02", 1, 40_000]]  # the 2024-03-02 delivery is after D, though in D's month


def test_nation_pledges_and_training_as_of_d(client, coordinator, history):
    client.force_login(coordinator)
    response = client.get("/nations/USA/", {"as_of": D.isoformat()})
    pledges = response.context["tables"]["pledges"]
    by_due = {row[7]: row for row in pledges.rows}  # due column
    assert set(by_due) == {dt.date(2024, 1, 31), dt.date(2024, 12, 1)}  # the one announced after D is left out
    late = by_due[dt.date(2024, 1, 31)]
    assert late[3] == 40 and str(late[9]) == str(Pledge.Progress.PARTIAL.label) and late[10]  # overdue badge
    assert not by_due[dt.date(2024, 12, 1)][10]
    training = response.context["tables"]["training"]
    assert [row[:4] for row in training.rows] == [["Patriot crew", "Ukraine", 100, 10]]


def test_pledges_page_as_of_d(client, coordinator, history):
    client.force_login(coordinator)
    table = client.get("/pledges/", {"as_of": D.isoformat()}).context["table"]
    by_due = {row[8]: row for row in table.rows}  # donor column first on this page
    assert set(by_due) == {dt.date(2024, 1, 31), dt.date(2024, 12, 1)}
    assert by_due[dt.date(2024, 1, 31)][4] == 40 and by_due[dt.date(2024, 1, 31)][11]  # delivered then; overdue
    overdue = client.get("/pledges/", {"as_of": D.isoformat(), "overdue": "true"}).context["table"]
    assert [row[8] for row in overdue.rows] == [dt.date(2024, 1, 31)]
    today = client.get("/pledges/", {"overdue": "true"}).context["table"]  # today: the late one is complete
    assert sorted(row[8] for row in today.rows) == [dt.date(2024, 5, 1), dt.date(2024, 12, 1)]
    body = client.get("/pledges/", {"as_of": "2019-01-01"}).content.decode()
    assert "No pledges announced by 2019-01-01 match." in body and "in the admin" not in body


def test_procurement_agreements_valid_at_d(client, coordinator, history):
    client.force_login(coordinator)
    rows = client.get("/procurement/", {"as_of": D.isoformat()}).context["tables"]["agreements"].rows
    assert [row[0] for row in rows] == ["Current frame"]
    rows = client.get("/procurement/").context["tables"]["agreements"].rows
    assert sorted(row[0] for row in rows) == ["Current frame", "Expired frame", "Future frame"]


def test_banner_reports_the_latest_report_on_or_before_d(client, coordinator, history, settings):
    settings.REPORTING_STALE_AFTER_DAYS = 35
    client.force_login(coordinator)
    response = client.get("/", {"as_of": D.isoformat()})
    assert response.context["latest_report"] == dt.date(2024, 1, 5)
    assert response.context["days_before"] == 56 and response.context["stale"]
    body = response.content.decode()
    assert "Latest stock report on or before 2024-03-01: 2024-01-05 (56 days earlier)" in body
    assert "Shortfalls last computed" not in body
    response = client.get("/", {"as_of": "2024-01-20"})
    assert response.context["days_before"] == 15 and not response.context["stale"]


def test_reporting_page_as_of_d(client, coordinator, history, settings):
    settings.REPORTING_STALE_AFTER_DAYS = 35
    client.force_login(coordinator)
    table = client.get("/reporting/", {"as_of": D.isoformat()}).context["table"]
    usa = next(row for row in table.rows if "United States" in str(row[0]))
    assert usa[1] == dt.date(2024, 1, 5) and usa[2] == 56 and "Stale" in str(usa[6].text)
    table = client.get("/reporting/", {"as_of": "2024-04-02"}).context["table"]
    usa = next(row for row in table.rows if "United States" in str(row[0]))
    assert usa[1] == dt.date(2024, 4, 1) and usa[2] == 1 and "Current" in str(usa[6].text)


def test_empty_states_before_anything_was_recorded_say_what_was_true(client, coordinator, history):
    client.force_login(coordinator)
    response = client.get("/", {"as_of": "2019-01-01"})
    body = response.content.decode()
    assert "No pledges announced by 2019-01-01." in body
    assert "No alert was open on 2019-01-01." in body
    assert "No training commitments recorded by 2019-01-01." in body
    assert "No stock report had been recorded by 2019-01-01." in body
    for advice in ("recompute", "in the admin", "manage.py"):
        assert advice not in body
    body = client.get("/nations/USA/", {"as_of": "2019-01-01"}).content.decode()
    assert "No pledges announced by 2019-01-01." in body and "recompute" not in body
    body = client.get("/procurement/", {"as_of": "2019-01-01"}).content.decode()
    assert "was valid on 2019-01-01" in body


@pytest.mark.parametrize(("url", "table"), [("/", "alerts"), ("/", "overdue"), ("/", "training"),
                                             ("/nations/USA/", "pledges"), ("/procurement/", "agreements"),
                                             ("/pledges/", "pledges"),
                                             ("/reporting/", "reporting")])
def test_an_as_of_export_says_d_in_its_name_and_on_every_row(client, coordinator, history, url, table):
    client.force_login(coordinator)
    response = client.get(url, {"as_of": D.isoformat(), "export": "csv", "table": table})
    assert response["Content-Disposition"] == f'attachment; filename="{table}-2024-03-01.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "As of"
    assert len(rows) > 1 and all(row[-1] == "2024-03-01" for row in rows[1:])


def test_a_nation_sees_only_its_own_training_history(client, polish_officer, us_officer, history):
    client.force_login(polish_officer)  # the commitments are the USA's
    assert client.get("/", {"as_of": D.isoformat()}).context["tables"]["training"].rows == []
    client.force_login(us_officer)
    rows = client.get("/", {"as_of": D.isoformat()}).context["tables"]["training"].rows
    assert [row[1:4] for row in rows] == [["Patriot crew", 100, 10]]


# session + user (with its membership and the OTP device check) = 2, then per page (see test_query_counts.py and
# test_every_page_ten_queries.py: every page within 10).
AS_OF_CEILINGS = {
    # nations with their last report as of D (banner, reporting); the versions valid at D (heat map, largest,
    # roll-up, categories, reporting counts); the pledges as of D with their deliveries then (fulfilment,
    # overdue); deliveries per month; the overdue rows shown; alerts open at D (with their count); training
    # history; for a nation, the other donors' pledges it may not see
    "/": 2 + 8,
    # nation; its versions at D; fulfilment by item (pledges as of D, items); its pledges with their deliveries
    # as of D; training history
    "/nations/USA/": 2 + 6,
    # agreements valid at D (agreements, participants); orders (call-offs, contracted); versions at D;
    # requirements, pledges as of D; rates; schedule lines; items without a version
    "/procurement/": 2 + 9,
    # the pairs as of D (the engine's inputs, nations, items); latest report per nation (one); nations
    "/reporting/": 2 + 14,
    # filter choices (donor, recipient, category, item) and their validation; count; the page (with the
    # deliveries as of D in the same query)
    "/pledges/": 2 + 7,
}


@pytest.mark.parametrize("url", list(AS_OF_CEILINGS))
def test_as_of_pages_run_a_fixed_number_of_queries(client, coordinator, history, nations, item, url,
                                                   django_assert_max_num_queries):
    client.force_login(coordinator)
    client.get(url, {"as_of": D.isoformat()})  # warm: content types, translations
    for n in range(6):  # more of everything: the count stays
        pledge = factories.PledgeFactory(donor=nations["POL"], recipient=nations["UKR"], item=item, quantity=10,
                                         announced_on=dt.date(2023, 2, 1 + n), due_on=dt.date(2024, 1, 1 + n))
        factories.DeliveryFactory(pledge=pledge, quantity=5, status=Delivery.Status.DELIVERED,
                                  delivered_on=dt.date(2024, 1, 10))
        tc = factories.TrainingCommitmentFactory(donor=nations["USA"], recipient=nations["UKR"], programme=f"P{n}")
        backdate_history(tc, dt.date(2024, 1, 1))
        Alert.objects.create(kind=Alert.Kind.BELOW_GUIDELINE, nation=nations["POL"], item=item, key=f"below:{n}",
                             message=f"m{n}", opened_at=at(dt.date(2024, 2, 1)))
    with django_assert_max_num_queries(AS_OF_CEILINGS[url]):
        response = client.get(url, {"as_of": D.isoformat()})
    assert response.status_code == 200
