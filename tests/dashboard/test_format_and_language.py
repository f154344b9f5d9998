"""Number formatting for people, and the per-user French translation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from coordination.models import Membership
from web.dashboard.services import membership_set_language
from web.templatetags.aid_format import coverage_band, format_date, format_eur, format_int, format_pct


@pytest.mark.parametrize(("value", "english", "french"), [
    (1_234_567, "1,234,567", "1\u00a0234\u00a0567"),
    (Decimal("-3500"), "-3,500", "-3\u00a0500"),
    (0, "0", "0"),
    (None, "—", "—"),
])
def test_num(value, english, french):
    with translation.override("en"):
        assert format_int(value) == english
    with translation.override("fr"):
        assert format_int(value) == french


@pytest.mark.parametrize(("value", "english", "french"), [
    (1_234_000_000, "€1.2 bn", "1,2\u00a0Md€"),
    (Decimal("65000000000"), "€65.0 bn", "65,0\u00a0Md€"),
    (350_000_000, "€350.0 m", "350,0\u00a0M€"),
    (12_500, "€12,500", "12\u00a0500\u00a0€"),
    (None, "—", "—"),
])
def test_eur(value, english, french):
    with translation.override("en"):
        assert format_eur(value) == english
    with translation.override("fr"):
        assert format_eur(value) == french


def test_pct_date_and_bands():
    with translation.override("en"):
        assert format_pct(0.734) == "73%"
        assert format_pct(None) == "—"
    with translation.override("fr"):
        assert format_pct(0.734) == "73\u00a0%"
    assert format_date(dt.date(2024, 3, 1)) == "2024-03-01"
    assert format_date(dt.datetime(2024, 3, 1, 9, 5, tzinfo=dt.UTC)) == "2024-03-01 09:05 UTC"
    assert [coverage_band(v) for v in (0.2, 0.5, 0.8, 1.0, None, "")] == ["cov-0", "cov-1", "cov-2", "cov-3",
                                                                       "cov-na", "cov-na"]


@pytest.mark.django_db
def test_membership_language_drives_the_dashboard(client, coordinator, demo):
    client.force_login(coordinator)
    assert "Largest shortfalls" in client.get("/").content.decode()
    Membership.objects.filter(user=coordinator).update(language="fr")
    response = client.get("/")
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Déficits les plus importants" in html and "Largest shortfalls" not in html
    assert "10,0\u00a0M€" in html  # Poland's €10,000,000 pledge, French style
    assert "pas de rétablissement" in html
    assert response["Content-Language"] == "fr"


@pytest.mark.django_db
def test_set_language_view_saves_the_choice_on_the_membership(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/pledges/"})
    assert response.status_code == 302 and response["Location"] == "/pledges/"
    assert Membership.objects.get(user=coordinator).language == "fr"
    assert "Promesses" in client.get("/pledges/").content.decode()
    # Back to English, even though the browser asks for French.
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert Membership.objects.get(user=coordinator).language == "en"
    assert "Largest shortfalls" in client.get("/", headers={"Accept-Language": "fr"}).content.decode()


@pytest.mark.django_db
def test_unknown_language_is_refused(coordinator):
    with pytest.raises(Exception, match="Unknown language"):
        membership_set_language(user=coordinator, language="xx")
    assert Membership.objects.get(user=coordinator).language == "en"


@pytest.mark.django_db
def test_french_csv_headers(client, coordinator, demo):
    Membership.objects.filter(user=coordinator).update(language="fr")
    client.force_login(coordinator)
    body = client.get("/pledges/", {"export": "csv", "table": "pledges"}).content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Donateur,Bénéficiaire,Article,Quantité")
