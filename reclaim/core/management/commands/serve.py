"""`reclaim serve`: the app under gunicorn (one worker per core by default)."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Reclaim with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("RECLAIM_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("RECLAIM_WORKERS", os.cpu_count() or 2)))

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [
            sys.executable, "-m", "gunicorn", "reclaim.wsgi:application",
            "--bind", options["bind"], "--workers", str(options["workers"]),
            "--access-logfile", "-", "--access-logformat", '%(m)s %(U)s %(s)s %(M)sms',
        ]
        self.stdout.write(f"Serving on http://{options['bind']}")
        os.execv(sys.executable, argv)
