"""Issue an API token for a national system: ``manage.py issue_token --nation POL --name "POL logistics"``.

The key is printed once; only its hash is stored. ``--expires-days`` sets an expiry.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coordination.api.tokens import token_issue
from coordination.history import command_attribution
from coordination.models import Nation


class Command(BaseCommand):
    help = "Issue an API token bound to one nation. The key is printed once and never stored."

    def add_arguments(self, parser):
        parser.add_argument("--nation", required=True, help="Nation code, e.g. POL")
        parser.add_argument("--name", required=True, help="What the token is for, e.g. 'POL logistics system'")
        parser.add_argument("--expires-days", type=int, default=None, help="Expire after this many days")

    def handle(self, *args, nation: str, name: str, expires_days: int | None, **options):
        found = Nation.objects.filter(code=nation.strip().upper()).first()
        if found is None:
            raise CommandError(f"Unknown nation code {nation!r}.")
        if expires_days is not None and expires_days <= 0:
            raise CommandError("--expires-days must be 1 or more.")
        expires_at = timezone.now() + dt.timedelta(days=expires_days) if expires_days else None
        try:
            with command_attribution("issue_token"):
                token, key = token_issue(nation=found, name=name, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stderr.write(f"Token #{token.pk} {token.name!r} for {found.code}"
                          + (f", expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else "")
                          + ". Store the key now; it is not shown again:")
        self.stdout.write(key)
