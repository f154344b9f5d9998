"""import_ust: the Kiel Ukraine Support Tracker extract. Expected totals are computed here from the CSVs
independently of the importer (csv + Decimal), and a few are written out by hand."""

import datetime as dt
import shutil
from decimal import Decimal

import pytest
from django.core.management import CommandError
from django.db import transaction
from django.db.models import Sum

from coordination.access import CELL, Scope
from coordination.models import Item, Nation
from loaders.ust import SOURCE, parse_weapons_list, split_value
from pledges.models import AidFlow, Pledge
from pledges.services import delivery_create
from tests.data.ust_helpers import DATA, csv_rows, run_import, table_counts


@pytest.fixture(scope="module")
def imported_output(django_db_setup, django_db_blocker):
    """Import the tracker once for this module, in a transaction rolled back at the end of the module;
    each test runs in its own savepoint within it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield run_import()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def imported(imported_output, db):
    return imported_output

# --- Parsing (no database) -----------------------------------------------------------------------

def test_weapons_list_with_parentheses_in_names():
    assert parse_weapons_list("National Advanced Surface-to-Air Missile System (NASAMS) (1)") == [
        ("National Advanced Surface-to-Air Missile System (NASAMS)", 1)]
    assert parse_weapons_list(
        "Leopard-1A5 (62); Modified T-72 tank (T-72A/T-72M1/M1R) (25); Leopard-2A4 (7)"
    ) == [("Leopard-1A5", 62), ("Modified T-72 tank (T-72A/T-72M1/M1R)", 25), ("Leopard-2A4", 7)]
    assert parse_weapons_list("M270 weapon system (Norway) (11)") == [("M270 weapon system (Norway)", 11)]
    with pytest.raises(ValueError, match="Name \\(count\\)"):
        parse_weapons_list("Leopard-2A4 (seven)")


def test_split_value_preserves_the_total_and_puts_the_remainder_last():
    assert split_value(Decimal("100.00"), [1, 1, 1]) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    # Denmark, tanks: 85,414,840 EUR over 62 + 25 + 7 = 94 systems.
    # 85,414,840 * 62 / 94 = 5,295,720,080 / 94 = 56,337,447.6595... -> 56,337,447.65 (cents rounded down);
    # 85,414,840 * 25 / 94 = 2,135,371,000 / 94 = 22,716,712.7659... -> 22,716,712.76; the last gets the rest.
    shares = split_value(Decimal("85414840"), [62, 25, 7])
    assert shares == [Decimal("56337447.65"), Decimal("22716712.76"), Decimal("6360679.59")]
    assert sum(shares) == Decimal("85414840")


# --- The import ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_us_allocated_aid_is_115_38_billion_eur(imported):
    us = AidFlow.objects.filter(nation__code="USA").aggregate(
        allocated=Sum("allocated_eur"), military=Sum("military_eur"), committed=Sum("committed_eur"))
    # The tracker's "total" column (allocated = financial + humanitarian + military), in billions.
    expected = sum(Decimal(r["total"]) for r in csv_rows("data_explorer.csv") if r["iso"] == "USA")
    assert expected == Decimal("115.380650")
    assert us["allocated"] == Decimal("115380650000.00")
    assert round(us["allocated"] / 10**9, 2) == Decimal("115.38")
    assert us["military"] == Decimal("64616886000.00")
    assert us["committed"] == Decimal("118963336000.00")


@pytest.mark.django_db
def test_every_column_total_matches_the_csv(imported):
    rows = csv_rows("data_explorer.csv")
    assert AidFlow.objects.count() == len(rows) == 1079
    assert AidFlow.history.count() == 1079  # the bulk write keeps history too
    for column, attr in [("total", "allocated_eur"), ("military", "military_eur"), ("financial", "financial_eur"),
                         ("humanitarian", "humanitarian_eur"), ("commitments", "committed_eur"),
                         ("to_be_allocated", "to_be_allocated_eur")]:
        expected = sum(Decimal(r[column]) for r in rows) * 10**9
        assert AidFlow.objects.aggregate(s=Sum(attr))["s"] == expected, column
    first = AidFlow.objects.get(nation__code="AUS", month=dt.date(2022, 2, 1))
    assert first.allocated_eur == Decimal("2645000.00")  # 0.002645 bn
    assert Nation.objects.get(code="EU").name  # EU institutions have their own code
    assert Nation.objects.filter(code__in=["JPN", "AUS", "KOR"]).count() == 3


@pytest.mark.django_db
def test_heavy_weapons_are_3327_systems_with_row_values_preserved(imported):
    weapons = csv_rows("weapons.csv")
    tracker = Pledge.objects.filter(reference__startswith="UST weapons.csv: ")
    # 3,327 is the sum of number_of_weapons over all rows (= the sum of the counts in weapons_list).
    assert sum(int(r["number_of_weapons"]) for r in weapons) == 3327
    assert tracker.aggregate(q=Sum("quantity"))["q"] == 3327
    assert tracker.aggregate(v=Sum("value_eur"))["v"] == sum(Decimal(r["monetary_value_eur"]) for r in weapons)
    for r in weapons:  # every row's EUR total preserved exactly
        mine = tracker.filter(reference__startswith=f"UST weapons.csv: {r['donor']} / {r['category']} / ")
        assert mine.aggregate(v=Sum("value_eur"))["v"] == Decimal(r["monetary_value_eur"]), r
        assert mine.aggregate(q=Sum("quantity"))["q"] == int(r["number_of_weapons"]), r
    nasams = tracker.get(donor__code="CAN", item__name="National Advanced Surface-to-Air Missile System (NASAMS)")
    assert (nasams.quantity, nasams.value_eur) == (1, Decimal("49013492.00"))
    assert nasams.item.category.name == "Air Defense"
    assert nasams.releasability == "public" and nasams.recipient.code == "UKR"
    us_tanks = tracker.filter(donor__code="USA", item__category__name="Tanks")
    assert dict(us_tanks.values_list("item__name", "quantity")) == {"overhauled T-72": 45, "M1A1 Abrams": 31}
    assert Item.objects.get(name="M1A1 Abrams").unit == Item.Unit.VEHICLES


@pytest.mark.django_db
def test_running_twice_gives_the_same_rows(imported):
    before = table_counts()
    values = list(Pledge.objects.order_by("pk").values_list("reference", "quantity", "value_eur"))
    out = run_import()
    assert table_counts() == before
    assert "pledges created" not in out
    assert list(Pledge.objects.order_by("pk").values_list("reference", "quantity", "value_eur")) == values
    assert "pledges unchanged: 101" in out and "aid flows unchanged: 1079" in out


@pytest.mark.django_db
def test_rerun_updates_a_changed_value(imported, tmp_path):
    shutil.copy(DATA / "weapons.csv", tmp_path / "weapons.csv")
    text = (tmp_path / "weapons.csv").read_text()
    (tmp_path / "weapons.csv").write_text(text.replace('"Belgium","Tanks",1,516317,', '"Belgium","Tanks",1,600000,'))
    out = run_import(tmp_path)
    assert "pledges updated: 1" in out
    pledge = Pledge.objects.get(reference="UST weapons.csv: Belgium / Tanks / Leopard-1")
    assert pledge.value_eur == 600000
    change = pledge.history.latest("history_date")  # the change names the tracker as its source
    assert change.history_type == "~" and change.history_change_reason.endswith(SOURCE)
    assert Pledge.objects.filter(reference__startswith="UST weapons.csv: ").count() == 101


@pytest.mark.django_db
def test_aid_flows_are_public_reads_and_cell_writes(imported, django_assert_max_num_queries):
    pol = Scope(nation_id=Nation.objects.get(code="POL").pk, nation_code="POL", nation_role="ally")
    with django_assert_max_num_queries(1):  # one SELECT, whatever the number of rows
        assert len(list(AidFlow.objects.restrict(pol, "view").select_related("nation"))) == 1079
    assert not AidFlow.objects.restrict(pol, "change").exists()


@pytest.mark.django_db
def test_a_write_refused_by_the_services_names_the_line_and_rolls_back_the_file(imported, tmp_path):
    # 31 Abrams are already in a delivery; the tracker now says 30 (and Belgium's value changed earlier
    # in the file): the reduction is refused by the pledge service and nothing of the file is written.
    abrams = Pledge.objects.get(reference="UST weapons.csv: United States / Tanks / M1A1 Abrams")
    delivery_create(actor=CELL, pledge_id=abrams.pk, quantity=31, status="scheduled")
    text = (DATA / "weapons.csv").read_text()
    text = text.replace('"Belgium","Tanks",1,516317,', '"Belgium","Tanks",1,600000,')
    text = text.replace('"United States","Tanks",76,340742693,"overhauled T-72 (45); M1A1 Abrams (31)"',
                        '"United States","Tanks",75,340742693,"overhauled T-72 (45); M1A1 Abrams (30)"')
    (tmp_path / "weapons.csv").write_text(text)
    with pytest.raises(CommandError, match="weapons.csv, line 62: M1A1 Abrams: 31 are already in non-cancelled"):
        run_import(tmp_path)
    assert Pledge.objects.get(pk=abrams.pk).quantity == 31
    assert Pledge.objects.get(reference="UST weapons.csv: Belgium / Tanks / Leopard-1").value_eur == 516317


def test_every_nation_of_the_tracker_has_a_french_name(imported):
    """A French reader sees every donor in French, the partners the import creates (Australia, Japan …) too."""
    without = sorted(Nation.objects.filter(name_fr="").values_list("code", flat=True))
    assert without == []
    assert Nation.objects.get(code="AUS").name_fr == "Australie"
