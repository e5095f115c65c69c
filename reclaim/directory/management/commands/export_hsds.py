"""`reclaim export-hsds --format json|csv OUT`: export the directory as HSDS 3.0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reclaim.directory.services.hsds_io import export_hsds_csv, export_hsds_json


class Command(BaseCommand):
    help = (
        "Export the directory as Open Referral HSDS 3.0: --format json writes a JSON list of "
        "full service objects to OUT; --format csv writes a CSV datapackage into the folder OUT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="the .json file, or the folder for the datapackage")
        parser.add_argument("--format", choices=("json", "csv"), default="json")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if options["format"] == "json":
            if out.is_dir():
                raise CommandError(f"{out} is a folder; give a file name for the JSON export.")
            count = export_hsds_json(out)
        else:
            if out.exists() and not out.is_dir():
                raise CommandError(f"{out} is a file; give a folder for the CSV datapackage.")
            count = export_hsds_csv(out)
        self.stdout.write(f"exported {count} services to {out}")
