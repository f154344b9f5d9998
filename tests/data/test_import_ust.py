"""import_ust: the Kiel Ukraine Support Tracker extract. Expected totals are computed here from the CSVs
independently of the importer (csv + Decimal), and a few are written out by hand."""

import csv
import datetime as dt
import shutil
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Sum

from coordination.access import Scope
from coordination.models import Category, Item, Nation
from coordination.ust import parse_weapons_list, split_value
from pledges.models import AidFlow, Pledge

DATA = Path(settings.BASE_DIR) / "data" / "ukraine-support-tracker"


def csv_rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def run_import(directory=DATA) -> str:
    out = StringIO()
    call_command("import_ust", str(directory), stdout=out)
    return out.getvalue()


def table_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Nation, Category, Item, Pledge, AidFlow)}


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
def test_us_allocated_aid_is_115_38_billion_eur():
    run_import()
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
def test_every_column_total_matches_the_csv():
    run_import()
    rows = csv_rows("data_explorer.csv")
    assert AidFlow.objects.count() == len(rows) == 1079
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
def test_heavy_weapons_are_3327_systems_with_row_values_preserved():
    run_import()
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
def test_running_twice_gives_the_same_rows():
    run_import()
    before = table_counts()
    values = list(Pledge.objects.order_by("pk").values_list("reference", "quantity", "value_eur"))
    out = run_import()
    assert table_counts() == before
    assert list(Pledge.objects.order_by("pk").values_list("reference", "quantity", "value_eur")) == values
    assert "pledges unchanged: 101" in out and "aid flows unchanged: 1079" in out


@pytest.mark.django_db
def test_rerun_updates_a_changed_value(tmp_path):
    run_import()
    shutil.copy(DATA / "weapons.csv", tmp_path / "weapons.csv")
    text = (tmp_path / "weapons.csv").read_text()
    (tmp_path / "weapons.csv").write_text(text.replace('"Belgium","Tanks",1,516317,', '"Belgium","Tanks",1,600000,'))
    out = run_import(tmp_path)
    assert "pledges updated: 1" in out
    assert Pledge.objects.get(reference="UST weapons.csv: Belgium / Tanks / Leopard-1").value_eur == 600000
    assert Pledge.objects.filter(reference__startswith="UST weapons.csv: ").count() == 101


@pytest.mark.django_db
def test_existing_nations_are_reused_by_code():
    Nation.objects.create(code="USA", name="United States of America")
    run_import()
    assert Nation.objects.filter(code="USA").count() == 1
    assert AidFlow.objects.filter(nation__name="United States of America").count() > 0


def broken_copy(tmp_path: Path, name: str, line: int, old: str, new: str) -> None:
    for f in ("weapons.csv", "data_explorer.csv"):
        shutil.copy(DATA / f, tmp_path / f)
    lines = (tmp_path / name).read_text().splitlines(keepends=True)
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    (tmp_path / name).write_text("".join(lines))


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "line", "old", "new", "message"), [
    ("data_explorer.csv", 3, "0.142911", "lots", "total is not a number: 'lots'"),
    ("data_explorer.csv", 500, '"ITA",2022,', '"ITA",2022.5,', "year is not a whole number: '2022.5'"),
    ("weapons.csv", 5, "(NASAMS) (1)", "(NASAMS)", "cannot read"),
    ("weapons.csv", 14, ",100,", ",101,", "add up to 100, not number_of_weapons 101"),
])
def test_a_broken_row_names_file_and_line_and_writes_nothing(tmp_path, name, line, old, new, message):
    broken_copy(tmp_path, name, line, old, new)
    with pytest.raises(CommandError) as exc:
        run_import(tmp_path)
    assert f"{name}, line {line}: " in str(exc.value)
    assert message in str(exc.value)
    assert table_counts() == {"Nation": 0, "Category": 0, "Item": 0, "Pledge": 0, "AidFlow": 0}


@pytest.mark.django_db
def test_a_missing_column_is_an_unknown_format(tmp_path):
    broken_copy(tmp_path, "data_explorer.csv", 1, '"commitments",', "")
    with pytest.raises(CommandError, match="data_explorer.csv, line 1: missing column\\(s\\): commitments"):
        run_import(tmp_path)
    assert not AidFlow.objects.exists() and not Pledge.objects.exists()


@pytest.mark.django_db
def test_a_bad_file_after_a_good_one_writes_nothing_of_either(tmp_path):
    broken_copy(tmp_path, "weapons.csv", 62, '"United States","Tanks",76,', '"Atlantis","Tanks",76,')
    with pytest.raises(CommandError, match="weapons.csv, line 62: donor 'Atlantis' has no ISO code"):
        run_import(tmp_path)
    assert table_counts() == {"Nation": 0, "Category": 0, "Item": 0, "Pledge": 0, "AidFlow": 0}


@pytest.mark.django_db
def test_not_csv_and_missing_directory(tmp_path):
    (tmp_path / "weapons.csv").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(CommandError, match="weapons.csv, line 1: not UTF-8"):
        run_import(tmp_path)
    with pytest.raises(CommandError, match="not a directory"):
        run_import(tmp_path / "nope")


@pytest.mark.django_db
def test_aid_flows_are_public_reads_and_cell_writes(django_assert_max_num_queries):
    run_import()
    pol = Scope(nation_id=Nation.objects.get(code="POL").pk, nation_code="POL", nation_role="ally")
    with django_assert_max_num_queries(1):  # one SELECT, whatever the number of rows
        assert len(list(AidFlow.objects.restrict(pol, "view").select_related("nation"))) == 1079
    assert not AidFlow.objects.restrict(pol, "change").exists()
