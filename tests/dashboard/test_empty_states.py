"""Empty states say what is true for this reader, in their words (issue 16, point 4): never a command,
never "nothing" about the alliance when only the reader's own rows are hidden or missing."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def empty_of(response, key):
    table = response.context["tables"][key]
    assert table.rows == []
    return str(table.empty)


def test_an_officer_whose_nation_is_not_short_is_told_about_its_own_rows(client, demo):
    from tests.conftest import make_user

    ukr_officer = make_user("ukr-officer", nation=demo["usa_pledge"].recipient)
    client.force_login(ukr_officer)
    response = client.get("/")
    text = empty_of(response, "shortfalls")
    assert text.startswith("Your nation is not below guideline") and "alliance position per item counts them" in text
    assert "No nation is below guideline" not in response.content.decode()


def test_an_item_page_without_the_readers_own_row_says_so_not_run_a_command(client, demo, polish_officer):
    other = factories.ItemFactory(name="Patriot PAC-3 MSE", category=demo["air"])
    client.force_login(polish_officer)
    response = client.get(reverse("dashboard:item", args=[other.pk]))
    text = empty_of(response, "nations")
    assert text.startswith("No figures for your nation here") and "manage.py" not in text


def test_the_cell_sees_the_alliance_wording(client, coordinator, demo):
    other = factories.ItemFactory(name="Patriot PAC-3 MSE", category=demo["air"])
    client.force_login(coordinator)
    text = empty_of(client.get(reverse("dashboard:item", args=[other.pk])), "nations")
    assert text == "No figures yet: no nation has reported stock of an item a guideline applies to."


def test_no_page_tells_a_coordinator_to_run_a_command(client, coordinator, polish_officer):
    for user in (coordinator, polish_officer):
        client.force_login(user)
        for url in ("/", "/tracker/", "/reporting/", "/procurement/", "/pledges/"):
            html = client.get(url).content.decode()
            assert "manage.py" not in html and "Celery" not in html, (user, url)
