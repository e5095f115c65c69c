"""`reclaim erase-survivor REFERENCE --reason "..."`: crypto-shred one survivor's record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reclaim.core.errors import DomainError
from reclaim.survivors import services


class Command(BaseCommand):
    help = "Erase a survivor by reference: deletes their data key; the audit keeps ids only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="the record's reference, e.g. R-7KQ2M4P")
        parser.add_argument("--reason", required=True, help="why (no personal details)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            survivor = services.erase_by_reference(options["reference"], reason=options["reason"])
        except DomainError as exc:
            raise CommandError(f"{options['reference']}: {exc.detail}") from exc
        self.stdout.write(f"Erased {survivor.reference}: its data key is deleted.")
