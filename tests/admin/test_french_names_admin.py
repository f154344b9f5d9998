"""The French names of reference data are edited and searched in the admin (coordination.names)."""

import pytest
from django.urls import reverse

from coordination.models import Category, Item, Nation
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_cell_edits_a_nations_french_name_with_history(coordinator_client, coordinator, nations):
    germany = factories.NationFactory(code="DEU", name="Germany")
    url = reverse("admin:coordination_nation_change", args=[germany.pk])
    form = coordinator_client.get(url)
    assert 'name="name_fr"' in form.content.decode()
    response = coordinator_client.post(url, {"code": "DEU", "name": "Germany", "name_fr": "Allemagne",
                                             "role": "ally", "joined_on": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    germany.refresh_from_db()
    assert germany.name_fr == "Allemagne"
    latest = germany.history.first()
    assert (latest.name_fr, latest.history_user) == ("Allemagne", coordinator)  # history keeps who changed it


def test_the_cell_edits_item_and_category_french_names(coordinator_client):
    category = factories.CategoryFactory(name="Artillery ammunition")
    response = coordinator_client.post(reverse("admin:coordination_category_change", args=[category.pk]),
                                       {"name": "Artillery ammunition", "name_fr": "Munitions d’artillerie"})
    assert response.status_code == 302
    assert Category.objects.get(pk=category.pk).name_fr == "Munitions d’artillerie"
    response = coordinator_client.post(reverse("admin:coordination_item_add"), {
        "category": category.pk, "name": "155 mm HE projectile", "name_fr": "Obus explosif de 155 mm",
        "unit": "rounds", "nsn": "", "unit_value_eur": ""})
    assert response.status_code == 302
    assert Item.objects.get(name="155 mm HE projectile").name_fr == "Obus explosif de 155 mm"


def test_an_officer_cannot_change_a_french_name(polish_client, nations):
    response = polish_client.post(reverse("admin:coordination_nation_change", args=[nations["POL"].pk]),
                                  {"code": "POL", "name": "Poland", "name_fr": "Pologne!", "role": "ally"})
    assert response.status_code == 403
    assert Nation.objects.get(code="POL").name_fr == ""


def test_the_admin_searches_french_names(coordinator_client, nations):
    Nation.objects.filter(code="POL").update(name_fr="Pologne")
    category = factories.CategoryFactory(name="Artillery ammunition", name_fr="Munitions d’artillerie")
    factories.ItemFactory(name="155 mm HE projectile", name_fr="Obus explosif de 155 mm", category=category)
    factories.ItemFactory(name="Fuze", category=category)
    html = coordinator_client.get(reverse("admin:coordination_nation_changelist"), {"q": "pologne"}).content.decode()
    assert "Poland" in html and "United States" not in html
    response = coordinator_client.get(reverse("admin:coordination_item_changelist"), {"q": "obus"})
    assert [i.name for i in response.context["cl"].result_list] == ["155 mm HE projectile"]
    response = coordinator_client.get(reverse("admin:coordination_item_changelist"), {"q": "munitions"})
    assert len(response.context["cl"].result_list) == 2  # by the category's French name


def test_the_french_admin_names_records_in_french(coordinator_client, coordinator, nations):
    from coordination.models import Membership

    Nation.objects.filter(code="POL").update(name_fr="Pologne")
    Membership.objects.filter(user=coordinator).update(language="fr")
    html = coordinator_client.get(reverse("admin:coordination_nation_changelist")).content.decode()
    assert "Pologne" in html  # the French name column
    for term in ("pologne", "poland"):  # the pickers find by either name and label in the reader's language
        response = coordinator_client.get(reverse("admin:autocomplete"), {
            "app_label": "pledges", "model_name": "pledge", "field_name": "donor", "term": term})
        assert [r["text"] for r in response.json()["results"]] == ["Pologne (POL)"]
