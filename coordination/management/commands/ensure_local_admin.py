"""Create the local coordinator account for the embedded default (never with DEBUG off).

The account is cell staff, so it needs two-factor authentication. For a first run the command also
gives it a confirmed authenticator (TOTP) device and prints the secret and the otpauth:// URI, so a
developer can add it to an authenticator app, or print the current code with
``manage.py totp_code admin`` (which also refuses with DEBUG off).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination.history import command_attribution
from coordination.models import Membership
from coordination.otp import TOTP_NAME, recovery_codes_regenerate, totp_secret


class Command(BaseCommand):
    help = "Create a local cell administrator (admin / admin, with a TOTP device) for a first run, if none exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="admin")

    def handle(self, *args, username, password, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create a default account with DEBUG off; use createsuperuser.")
        User = get_user_model()
        with command_attribution("ensure_local_admin"):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_superuser(username=username, email="", password=password)
                created = True
            else:
                created = False
            Membership.objects.get_or_create(user=user, defaults={"is_cell": True})
            device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True)
                recovery_codes_regenerate(user=user)
        verb = "Created" if created else "Kept existing"
        self.stdout.write(self.style.SUCCESS(
            f"{verb} local coordinator account. Log in as '{username}' (password '{password}' unless you changed "
            "it) at the address the server prints below."
        ))
        self.stdout.write(
            "Two-factor code: add this secret to an authenticator app "
            f"({totp_secret(device)}; URI {device.config_url}), or print the current code with "
            f"'.venv/bin/python manage.py totp_code {username}'."
        )
