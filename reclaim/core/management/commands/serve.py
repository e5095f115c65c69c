"""`reclaim serve`: the app under gunicorn (one worker per core by default).

Refuses to start when the master key is missing or wrong, or a database is unreachable:
better no service than a service that cannot protect or show records.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reclaim.core import services


class Command(BaseCommand):
    help = "Serve Reclaim with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("RECLAIM_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("RECLAIM_WORKERS", os.cpu_count() or 2)),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        health = services.check_health()
        if not health.ok:
            problems = ", ".join(f"{name}: {state}" for name, state in health.checks.items())
            raise CommandError(f"Not serving: {problems}. See docs/operations.md.")
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "reclaim.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--access-logfile",
            "-",
            # Path only (no query string): URLs carry opaque ids, never personal data.
            "--access-logformat",
            "%(m)s %(U)s %(s)s %(M)sms",
        ]
        self.stdout.write(f"Serving on http://{options['bind']}")
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 (argv is ours, no shell)
