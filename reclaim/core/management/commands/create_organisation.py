"""`reclaim create-organisation`: the first organisation and its admin on a fresh install."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reclaim.core import people
from reclaim.core.errors import DomainError
from reclaim.core.models import OrganisationType


class Command(BaseCommand):
    help = (
        "Create an organisation and its first organisation admin. Prints the admin's temporary "
        "password once: hand it over in person; they set up two-step login at first login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The organisation's name.")
        parser.add_argument(
            "--type",
            required=True,
            dest="org_type",
            help="One of: " + ", ".join(OrganisationType.values),
        )
        parser.add_argument("--admin-username", required=True)
        parser.add_argument("--admin-email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation, admin, password = people.create_organisation(
                name=options["name"],
                org_type=options["org_type"],
                admin_username=options["admin_username"],
                admin_email=options["admin_email"],
            )
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"Created organisation {organisation.pk} ({organisation.org_type}).")
        self.stdout.write(f"Organisation admin: {admin.username}")
        self.stdout.write(f"Temporary password (shown only now): {password}")
        self.stdout.write(
            "Hand it over in person. At first login they set up two-step login; they can then "
            "add their staff under People."
        )
