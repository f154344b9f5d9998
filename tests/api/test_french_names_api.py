"""The API keeps the English ``name`` (the key) and exposes the French ``name_fr`` beside it: read on every
reference record and on the rows that name an item, written where the name is written (the cell)."""

import pytest

from coordination.models import Category, Item, Nation
from tests import factories

pytestmark = pytest.mark.django_db


def test_reference_records_carry_both_names_whatever_the_language(pol, nations, item):
    Nation.objects.filter(code="POL").update(name_fr="Pologne")
    Item.objects.filter(pk=item.pk).update(name_fr="Obus explosif de 155 mm")
    Category.objects.filter(pk=item.category_id).update(name_fr="Munitions")
    for language in ("en", "fr"):
        headers = {"Accept-Language": language}
        nation = pol.get("/api/v1/nations/POL/", headers=headers).json()
        assert (nation["name"], nation["name_fr"]) == ("Poland", "Pologne")
        row = pol.get(f"/api/v1/items/{item.pk}/", headers=headers).json()
        assert (row["name"], row["name_fr"]) == ("155 mm HE projectile", "Obus explosif de 155 mm")
        assert row["category_name_fr"] == "Munitions"
        category = pol.get(f"/api/v1/categories/{item.category_id}/", headers=headers).json()
        assert category["name_fr"] == "Munitions"
    assert pol.get("/api/v1/nations/USA/").json()["name_fr"] == ""  # none recorded: empty, not the English one


def test_the_cell_writes_french_names(cell, nations, item):
    response = cell.patch("/api/v1/nations/POL/", {"name_fr": "Pologne"}, format="json")
    assert response.status_code == 200, response.json()
    assert Nation.objects.get(code="POL").name_fr == "Pologne"
    response = cell.post("/api/v1/nations/", {"code": "DEU", "name": "Germany", "name_fr": "Allemagne",
                                              "role": "ally"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["name_fr"] == "Allemagne"
    response = cell.patch(f"/api/v1/items/{item.pk}/", {"name_fr": "Obus explosif de 155 mm"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "155 mm HE projectile"
    response = cell.post("/api/v1/categories/", {"name": "Air defence", "name_fr": "Défense aérienne"},
                         format="json")
    assert response.status_code == 201 and Category.objects.get(name="Air defence").name_fr == "Défense aérienne"
    response = cell.patch("/api/v1/nations/POL/", {"name_fr": "x" * 101}, format="json")
    assert response.status_code == 400 and "name_fr" in str(response.json())


def test_a_nation_cannot_write_a_french_name(pol, nations):
    assert pol.patch("/api/v1/nations/POL/", {"name_fr": "Pologne"}, format="json").status_code == 403
    assert Nation.objects.get(code="POL").name_fr == ""


def test_items_filter_by_french_name(pol, item):
    factories.ItemFactory(name="Fuze")
    Item.objects.filter(pk=item.pk).update(name_fr="Obus explosif de 155 mm")
    rows = pol.get("/api/v1/items/", {"name_fr__icontains": "obus"}).json()["results"]
    assert [r["name"] for r in rows] == ["155 mm HE projectile"]


def test_computed_rows_name_the_item_in_both(pol, nations, item):
    Item.objects.filter(pk=item.pk).update(name_fr="Obus explosif de 155 mm")
    factories.RequirementFactory(recipient=nations["UKR"], item=item, quantity=100)
    rows = pol.get("/api/v1/fulfilment/gaps/", headers={"Accept-Language": "fr"}).json()
    assert [(r["item_name"], r["item_name_fr"]) for r in rows] == [("155 mm HE projectile",
                                                                    "Obus explosif de 155 mm")]
