"""The name in the reader's language (coordination.names): one rule, its SQL form agrees with it."""

import pytest
from django.utils import translation

from coordination.models import Item, Nation
from coordination.names import localized, name_expression, name_fields, name_of, sort_key
from tests import factories


@pytest.mark.parametrize("name, name_fr, language, want", [
    ("Germany", "Allemagne", "fr", "Allemagne"),
    ("Germany", "Allemagne", "fr-ca", "Allemagne"),
    ("Germany", "Allemagne", "en", "Germany"),
    ("Germany", "", "fr", "Germany"),  # no French name: the English one
    ("Germany", None, "fr", "Germany"),
])
def test_the_rule(name, name_fr, language, want):
    assert localized(name, name_fr, language) == want


def test_the_active_language_is_the_default():
    with translation.override("fr"):
        assert localized("United States", "États-Unis") == "États-Unis"
    with translation.override("en"):
        assert localized("United States", "États-Unis") == "United States"


def test_sort_key_folds_case_and_accents():
    names = ["Royaume-Uni", "États-Unis", "Espagne", "allemagne", "Finlande"]
    assert sorted(names, key=sort_key) == ["allemagne", "Espagne", "États-Unis", "Finlande", "Royaume-Uni"]


@pytest.mark.django_db
def test_model_instances_values_rows_and_the_sql_form_agree():
    factories.NationFactory(code="DEU", name="Germany", name_fr="Allemagne")
    factories.NationFactory(code="CZE", name="Czechia", name_fr="")  # falls back
    factories.NationFactory(code="USA", name="United States", name_fr="États-Unis")
    for language in ("en", "fr"):
        with translation.override(language):
            by_instance = {n.code: n.display_name for n in Nation.objects.all()}
            by_row = {r["code"]: name_of(r) for r in Nation.objects.values("code", *name_fields())}
            by_sql = dict(Nation.objects.annotate(shown=name_expression()).values_list("code", "shown"))
            assert by_instance == by_row == by_sql
            assert str(Nation.objects.get(code="DEU")) == f"{by_instance['DEU']} (DEU)"
    with translation.override("fr"):
        assert by_sql == {"DEU": "Allemagne", "CZE": "Czechia", "USA": "États-Unis"}


@pytest.mark.django_db
def test_a_related_prefix_reads_the_related_row():
    shell = factories.ItemFactory(name="155 mm HE projectile", name_fr="Obus explosif de 155 mm",
                                  category=factories.CategoryFactory(name="Artillery ammunition", name_fr=""))
    with translation.override("fr"):
        row = Item.objects.filter(pk=shell.pk).values(*name_fields(), *name_fields("category__")).get()
        assert (name_of(row), name_of(row, "category__")) == ("Obus explosif de 155 mm", "Artillery ammunition")
        shown = Item.objects.annotate(c=name_expression("category__")).values_list("c", flat=True).get()
        assert shown == "Artillery ammunition"
