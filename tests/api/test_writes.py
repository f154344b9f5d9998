"""Writes outside the bulk paths: recompute hooks, history, guards against input the database cannot take."""

import pytest

from stockpiles.models import ProductionRate, ShortfallMark, StockpileGuideline, StockReport

pytestmark = pytest.mark.django_db


def test_production_rate_for_own_nation_marks_the_pair_and_names_the_token(pol, pol_token, nations, item):
    response = pol.post("/api/v1/production-rates/", {"nation": "POL", "item": item.nsn or item.pk,
                                                       "units_per_month": 6000, "effective_from": "2024-03-01"},
                        format="json")
    assert response.status_code == 201, response.content
    rate = ProductionRate.objects.get()
    assert (rate.nation.code, rate.units_per_month) == ("POL", 6000)
    assert ShortfallMark.objects.filter(nation=nations["POL"], item=item).exists()
    assert rate.history.get().history_change_reason == f"API token #{pol_token[0].pk} 'POL logistics' (POL)"


def test_duplicate_production_rate_is_a_field_error(pol, nations, item):
    body = {"item": item.pk, "units_per_month": 6000, "effective_from": "2024-03-01"}
    assert pol.post("/api/v1/production-rates/", body, format="json").status_code == 201
    response = pol.post("/api/v1/production-rates/", body, format="json")
    assert response.status_code == 400
    assert response.json()
    assert ProductionRate.objects.count() == 1


def test_alliance_guideline_by_the_cell_marks_every_holder(cell, nations, item, today):
    from coordination.access import CELL
    from stockpiles.services import stock_report_create

    for code in ("POL", "USA"):
        stock_report_create(actor=CELL, nation=nations[code], item=item, quantity=10, as_of=today)
    ShortfallMark.objects.all().delete()
    response = cell.post("/api/v1/guidelines/", {"item": item.pk, "minimum_quantity": 500,
                                                  "effective_from": "2024-01-01"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["nation"] is None
    assert set(ShortfallMark.objects.values_list("nation__code", flat=True)) == {"POL", "USA"}
    assert StockpileGuideline.objects.get().history.get().history_user_id is not None


def test_a_nation_cannot_set_guidelines(pol, nations, item):
    response = pol.post("/api/v1/guidelines/", {"item": item.pk, "nation": "POL", "minimum_quantity": 1,
                                                 "effective_from": "2024-01-01"}, format="json")
    assert response.status_code == 403
    assert not StockpileGuideline.objects.exists()


def test_bodies_must_be_json(pol, nations, item):
    response = pol.post("/api/v1/stock-reports/", {"item": item.pk, "quantity": 1, "as_of": "2024-01-01"})
    assert response.status_code == 415
    assert not StockReport.objects.exists()


def test_nul_characters_and_huge_numbers_are_400_not_500(pol, nations, item):
    response = pol.post("/api/v1/pledges/", {"recipient": "UKR", "item": item.pk, "quantity": 1,
                                             "announced_on": "2024-01-01", "reference": "a\x00b"}, format="json")
    assert response.status_code == 400
    assert pol.get("/api/v1/pledges/?item=" + "9" * 30).status_code == 400
    assert pol.get("/api/v1/pledges/?category=-" + "9" * 30).status_code == 400
    assert pol.get("/api/v1/pledges/?donor=PO%00L").status_code == 400
    assert pol.get("/api/v1/pledges/" + "9" * 30 + "/").status_code == 404
    assert pol.get("/api/v1/pledges/1.5/").status_code == 404
    assert pol.get("/api/v1/pledges/1.5/?format=csv")["Content-Type"].startswith("application/json")
