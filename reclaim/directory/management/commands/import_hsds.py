"""`reclaim import-hsds PATH`: import an HSDS 3.0 JSON file or CSV datapackage folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reclaim.core.errors import ValidationFailed
from reclaim.directory.services.hsds_io import import_hsds


class Command(BaseCommand):
    help = (
        "Import an Open Referral HSDS 3.0 directory: a JSON file of services or organizations "
        "(a list, one object, or an HSDS API page), or a folder holding a CSV datapackage. "
        "The same ids update; invalid records are rejected with a reason, the rest imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a .json file, or a folder with datapackage.json")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["verbosity"] < 1
        try:
            summary = import_hsds(Path(options["path"]), progress=not quiet, stream=self.stderr)
        except ValidationFailed as error:
            raise CommandError(error.detail.removeprefix("file: ")) from None
        for line in summary.lines():
            self.stdout.write(line)
