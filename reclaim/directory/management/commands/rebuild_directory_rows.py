"""`reclaim rebuild-directory-rows`: rebuild the directory's derived rows from its services."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reclaim.directory.services.search_rows import rebuild_derived_rows


class Command(BaseCommand):
    help = (
        "Rebuild the rows that search and matching read (search rows and match rows) from the "
        "directory's services, in one transaction. Every write through Reclaim keeps them; run "
        "this after a restore, or after changing the directory with SQL."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        services = rebuild_derived_rows()
        self.stdout.write(f"rebuilt the search and match rows of {services} services")
