"""Create the local coordinator account for the embedded default (never with DEBUG off)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from coordination.models import Membership


class Command(BaseCommand):
    help = "Create a local cell administrator (admin / admin) for a first run, if none exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="admin")

    def handle(self, *args, username, password, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create a default account with DEBUG off; use createsuperuser.")
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_superuser(username=username, email="", password=password)
            created = True
        else:
            created = False
        Membership.objects.get_or_create(user=user, defaults={"is_cell": True})
        verb = "Created" if created else "Kept existing"
        self.stdout.write(self.style.SUCCESS(
            f"{verb} local coordinator account. Log in at http://127.0.0.1:8000/admin/ "
            f"as '{username}' (password '{password}' unless you changed it)."
        ))
