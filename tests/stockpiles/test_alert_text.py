"""Alerts said in the reader's language from their kind and parameters (stockpiles.alert_text)."""

import pytest
from django.utils import timezone, translation

from stockpiles.alert_text import alert_text
from stockpiles.models import Alert
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def shell():
    return factories.ItemFactory(name="155 mm HE projectile", unit="rounds")


def alert(kind, nation, item, params, message="as stored"):
    return Alert(kind=kind, nation=nation, item=item, key=f"k:{kind}", message=message, params=params)


@pytest.mark.parametrize("lang, want", [
    ("en", "155 mm HE projectile: 30,000 rounds available against a guideline of 80,000, short by 50,000."),
    ("fr", "155 mm HE projectile : 30\u00a0000 coups disponibles pour une norme de 80\u00a0000 ; manque "
           "50\u00a0000."),
])
def test_below_guideline_in_both_languages(nations, shell, lang, want):
    a = alert(Alert.Kind.BELOW_GUIDELINE, nations["POL"], shell,
              {"available": 30_000, "guideline": 80_000, "shortfall": 50_000})
    with translation.override(lang):
        assert alert_text(a) == want


def test_overdue_stale_and_failure_in_french(nations, shell):
    with translation.override("fr"):
        overdue = alert(Alert.Kind.PLEDGE_OVERDUE, nations["USA"], shell,
                        {"pledge": 7, "quantity": 40_000, "due_on": "2024-06-30", "outstanding": 10_000})
        # the item's name is not joined with "de" (no "de Obus …"): any name reads right
        assert alert_text(overdue) == ("Promesse n° 7 : 40\u00a0000 coups, 155 mm HE projectile, attendue le "
                                       "2024-06-30 ; 10\u00a0000 non livrés.")
        never = alert(Alert.Kind.STALE_REPORTING, nations["POL"], None, {"last_report": None, "expected": 12,
                                                                          "every": 35})
        assert alert_text(never).startswith("Aucun rapport de stock pour l’instant, alors que 12 articles")
        late = alert(Alert.Kind.STALE_REPORTING, nations["POL"], None, {"last_report": "2026-01-05",
                                                                         "days_ago": 1_200, "every": 35})
        assert "du 2026-01-05, il y a 1\u00a0200 jours" in alert_text(late)
        failed = alert(Alert.Kind.ENGINE_FAILURE, nations["POL"], shell, {"error": "year 10000 is out of range"})
        assert alert_text(failed).startswith("155 mm HE projectile : le moteur de calcul des déficits n’a pas pu "
                                             "calculer cette paire (year 10000 is out of range)")


def test_an_alert_raised_before_parameters_shows_its_message(nations, shell):
    with translation.override("fr"):
        assert alert_text(alert(Alert.Kind.BELOW_GUIDELINE, nations["POL"], shell, {})) == "as stored"


def test_the_engine_stores_the_parameters(nations, shell):
    from coordination.access import CELL
    from stockpiles import engine
    from stockpiles import services as stock_services

    factories.GuidelineFactory(item=shell, minimum_quantity=10_000)
    stock_services.stock_report_create(actor=CELL, nation=nations["POL"], item=shell, quantity=4_000,
                                       as_of=timezone.localdate())
    engine.shortfalls_recompute(pairs=None)
    raised = Alert.objects.get(kind=Alert.Kind.BELOW_GUIDELINE, nation=nations["POL"])
    assert raised.params == {"available": 4_000, "guideline": 10_000, "shortfall": 6_000}
    with translation.override("fr"):
        assert alert_text(raised) == ("155 mm HE projectile : 4\u00a0000 coups disponibles pour une norme de "
                                      "10\u00a0000 ; manque 6\u00a0000.")


def test_french_alert_names_the_item_in_french(nations, shell):
    shell.name_fr = "Obus explosif de 155 mm"
    shell.save()
    a = alert(Alert.Kind.BELOW_GUIDELINE, nations["POL"], shell,
              {"available": 30_000, "guideline": 80_000, "shortfall": 50_000})
    with translation.override("fr"):
        assert alert_text(a).startswith("Obus explosif de 155 mm : 30\u00a0000 coups disponibles")
    with translation.override("en"):
        assert alert_text(a).startswith("155 mm HE projectile: 30,000 rounds available")
    shell.name_fr = ""  # no French name: the English one, in the French sentence
    with translation.override("fr"):
        assert alert_text(a).startswith("155 mm HE projectile : 30\u00a0000 coups disponibles")
