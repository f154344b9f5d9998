"""import_ust on an empty database: bad files and rows are reported by file and line, and nothing is written."""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError

from coordination.models import Nation
from loaders.ust import TrackerFileError, read_weapons
from pledges.models import AidFlow, Pledge
from tests.data.ust_helpers import DATA, run_import, table_counts


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
    ("data_explorer.csv", 7, ",2022,", ",2022,1e40,", "13 fields where the header has 12"),
    ("data_explorer.csv", 8, '"AUS",2023,2,0.021271,', '"AUS",2023,2,1e12,', "total is implausibly large"),
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


def test_line_numbers_count_physical_lines(tmp_path):
    # Line 2 holds a quoted name spanning two lines, so the bad row below it is on line 4, not 3.
    (tmp_path / "weapons.csv").write_text(
        '"donor","category","number_of_weapons","monetary_value_eur","weapons_list"\n'
        '"Poland","Tanks",1,100,"Long\nname (1)"\n'
        '"Poland","IFV",x,100,"BMP-1 (1)"\n'
    )
    with pytest.raises(TrackerFileError) as exc:
        read_weapons(tmp_path / "weapons.csv")
    assert exc.value.errors == [(4, "number_of_weapons is not a whole number: 'x'")]
