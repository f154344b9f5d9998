"""manage.py recompute_shortfalls: stores today's figures, prints a past date without storing, clear errors."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from coordination.access import CELL
from stockpiles import services
from stockpiles.models import Shortfall
from tests import factories


@pytest.fixture
def data(nations, item):
    factories.GuidelineFactory(item=item, minimum_quantity=10_000)
    factories.ProductionRateFactory(nation=nations["USA"], item=item, units_per_month=2000)
    services.stock_report_create(actor=CELL, nation=nations["USA"], item=item, quantity=3000, as_of=dt.date(2024, 1, 1))
    services.stock_report_create(actor=CELL, nation=nations["USA"], item=item, quantity=12_000,
                                 as_of=dt.date(2023, 1, 1))
    services.stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=11_000,
                                 as_of=dt.date(2024, 1, 1))
    return nations


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("recompute_shortfalls", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_recompute_all_stores_rows_with_progress_and_summary(data, item):
    out, err = run()
    assert "Recomputing shortfalls" in err and "2/2" in err
    assert "2 pairs, 1 below guideline, 0 not recovering, total shortfall 7,000" in out
    usa = Shortfall.objects.get(nation=data["USA"], item=item)
    assert (usa.on_hand, usa.shortfall, usa.months_to_recover) == (3000, 7000, 4)  # ceil(7,000 / 2,000)


@pytest.mark.django_db
def test_recompute_one_nation(data, item):
    out, _ = run("--nation", "pol", "--item", str(item.pk))
    assert "1 pairs, 0 below guideline" in out
    assert list(Shortfall.objects.values_list("nation__code", flat=True)) == ["POL"]


@pytest.mark.django_db
def test_past_date_prints_table_without_storing(data, item):
    out, _ = run("--as-of", "2023-06-30")
    assert not Shortfall.objects.exists()
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["nation", "item", "on"]
    [usa] = [line for line in lines[1:] if line.startswith("USA")]
    assert "12,000" in usa and "120%" in usa and "ok" in usa
    [pol] = [line for line in lines[1:] if line.startswith("POL")]
    assert pol.endswith("no_report")  # an ally under the alliance-wide guideline that had not reported yet
    assert "as of 2023-06-30 (computed from the history, not stored): 2 pairs, 0 below guideline" in out


@pytest.mark.django_db
@pytest.mark.parametrize("args, message", [
    (("--nation", "XXX"), "Unknown nation 'XXX'"),
    (("--item", "abc"), r"item id \(a whole number\)"),
    (("--item", "999999"), "No item with id 999999"),
    (("--as-of", "01/03/2024"), "YYYY-MM-DD"),
    (("--as-of", "2999-01-01"), "cannot be in the future"),
])
def test_bad_arguments_are_command_errors(data, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
