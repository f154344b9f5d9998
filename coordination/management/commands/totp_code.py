"""Print a user's current two-factor (TOTP) code, for local development only (refuses with DEBUG off)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a local account (DEBUG only), e.g. for the demo 'admin'."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing with DEBUG off: codes come from the user's authenticator app.")
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).order_by("pk").first()
        if device is None:
            raise CommandError(f"'{username}' has no confirmed authenticator device.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        code = f"{totp.token():0{device.digits}d}"
        left = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(f"{code}  (valid for {left} more seconds)")
