"""Account writes a person makes on the account pages leave attributed history, without their secrets.

Through the real pages (password form, 2FA enrolment, verification, the account page, Django's password
change): an authenticator app enrolled (created, then confirmed), recovery codes regenerated or one used,
a new password. Never recorded: the TOTP key, the codes, the password hash, the per-login bookkeeping (a
login with a code changes the device's counter and last use: no row).
"""


import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination import otp
from coordination.history import PASSWORD_SET, RECOVERY_CODE_USED, RECOVERY_CODES_REGENERATED
from tests.conftest import current_totp, make_user, totp_device_for
from tests.security.test_2fa import PASSWORD, password_login

pytestmark = pytest.mark.django_db
User = get_user_model()


def rows(model, user):
    return list(model.history.filter(user_id=user.pk).order_by("history_date", "history_id"))


def test_device_history_tables_hold_no_secret_and_no_bookkeeping():
    totp_columns = {f.name for f in TOTPDevice.history.model._meta.get_fields()}
    assert {"user", "name", "confirmed"} <= totp_columns
    assert not {"key", "last_t", "drift", "last_used_at", "throttling_failure_count"} & totp_columns
    static_columns = {f.name for f in StaticDevice.history.model._meta.get_fields()}
    assert "confirmed" in static_columns and "last_used_at" not in static_columns


def test_enrolment_through_the_pages_leaves_rows_by_the_person(polish_officer):
    client = password_login("pol-officer")
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=polish_officer)
    codes = client.post("/accounts/2fa/setup/", {"otp_token": current_totp(device)}).context["codes"]
    assert len(codes) == 10

    created, confirmed = rows(TOTPDevice, polish_officer)
    assert (created.history_type, created.confirmed) == ("+", False)
    assert (confirmed.history_type, confirmed.confirmed) == ("~", True)
    assert [d.field for d in confirmed.diff_against(created).changes] == ["confirmed"]
    assert {created.history_user, confirmed.history_user} == {polish_officer}

    recovery = rows(StaticDevice, polish_officer)
    assert [r.history_type for r in recovery] == ["+", "~"]
    assert recovery[-1].history_change_reason == RECOVERY_CODES_REGENERATED
    assert recovery[-1].history_user == polish_officer


def test_a_login_with_a_code_leaves_no_row_a_wrong_code_neither(coordinator):
    device = totp_device_for(coordinator)
    before = TOTPDevice.history.count()
    client = password_login("coordinator")
    client.post("/accounts/2fa/verify/", {"otp_token": "000000", "next": "/"})  # wrong: throttle count +1
    ok = client.post("/accounts/2fa/verify/", {"otp_token": current_totp(device), "next": "/"})
    assert ok.status_code == 302
    device.refresh_from_db()
    assert device.last_t > 0 and device.last_used_at is not None  # the device was saved, more than once
    assert TOTPDevice.history.count() == before


def test_using_and_regenerating_recovery_codes_is_recorded(coordinator):
    totp_device_for(coordinator)
    codes = otp.recovery_codes_regenerate(user=coordinator)
    client = password_login("coordinator")
    assert client.post("/accounts/2fa/verify/", {"otp_token": codes[3], "next": "/"}).status_code == 302
    used = rows(StaticDevice, coordinator)[-1]
    assert (used.history_type, used.history_change_reason) == ("~", RECOVERY_CODE_USED)
    assert used.history_user == coordinator

    assert client.post("/accounts/2fa/").status_code == 200  # regenerate on the account page
    again = rows(StaticDevice, coordinator)[-1]
    assert again.history_change_reason == RECOVERY_CODES_REGENERATED and again.history_user == coordinator
    text = " ".join(str(r.__dict__) for r in StaticDevice.history.all())
    assert not any(code in text for code in codes)


def test_a_password_change_on_the_account_pages_is_recorded_without_the_hash(polish_officer):
    client = password_login("pol-officer")
    before = polish_officer.history.count()
    response = client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "a-new-Passphrase-77", "new_password2": "a-new-Passphrase-77"})
    assert response.status_code == 302
    row = polish_officer.history.latest("history_date")
    assert polish_officer.history.count() == before + 1
    assert (row.history_type, row.history_change_reason, row.history_user) == ("~", PASSWORD_SET, polish_officer)
    assert not hasattr(row, "password")
    polish_officer.refresh_from_db()
    assert polish_officer.check_password("a-new-Passphrase-77")
    # a later ordinary change does not carry the reason along
    polish_officer.first_name = "Anna"
    polish_officer.save()
    assert polish_officer.history.latest("history_date").history_change_reason is None


def test_a_wrong_old_password_changes_nothing(polish_officer):
    client = password_login("pol-officer")
    before = polish_officer.history.count()
    response = client.post("/accounts/password_change/", {
        "old_password": "wrong", "new_password1": "a-new-Passphrase-77", "new_password2": "a-new-Passphrase-77"})
    assert response.status_code == 200 and response.context["form"].errors["old_password"]
    assert polish_officer.history.count() == before


def test_the_audit_page_shows_account_events_with_the_nation(polish_officer, nations):
    client = password_login("pol-officer")
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=polish_officer)
    client.post("/accounts/2fa/setup/", {"otp_token": current_totp(device)})
    client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "a-new-Passphrase-77", "new_password2": "a-new-Passphrase-77"})

    cell = Client()
    cell.force_login(make_user("auditor", is_cell=True))
    page = cell.get("/audit/", {"nation": "POL", "model": "otp_recovery"})
    assert page.status_code == 200
    [row] = [r for r in page.context["rows"] if r.action == "changed"]
    assert (row.who, row.nation) == ("pol-officer", "POL")
    assert ("event", "", RECOVERY_CODES_REGENERATED) in row.changes
    app = cell.get("/audit/", {"nation": "POL", "model": "otp_app"}).context["rows"]
    assert [r.action for r in app] == ["changed", "created"]
    assert ("confirmed", "False", "True") in app[0].changes
    assert ("user", "", "pol-officer") in app[1].changes  # named, not numbered
    assert all("key" not in field for r in app for field, _, _ in r.changes)
    user_rows = cell.get("/audit/", {"nation": "POL", "model": "user"}).context["rows"]
    assert ("event", "", PASSWORD_SET) in user_rows[0].changes
    csv = b"".join(cell.get("/audit/", {"nation": "POL", "export": "csv"}).streaming_content).decode()
    assert PASSWORD_SET in csv and RECOVERY_CODES_REGENERATED in csv
    # another nation's filter does not show them
    assert not cell.get("/audit/", {"nation": "USA", "model": "otp_app"}).context["rows"]
