"""`reclaim demo`: migrate both databases, collect static files, seed the demo network, print
the logins, then serve at http://127.0.0.1:8000 (unless --no-serve)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reclaim.core.models import Role
from reclaim.seed import DEFAULT_SURVIVOR_COUNT, SeedSummary, seed_demo


class Command(BaseCommand):
    help = "Set up and seed a demo of Reclaim with synthetic data, then serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-serve", action="store_true", help="set up and seed, then exit without serving"
        )
        parser.add_argument(
            "--bind",
            default=os.environ.get("RECLAIM_BIND", "127.0.0.1:8000"),
            help="address to serve on (default 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--survivors",
            type=int,
            default=DEFAULT_SURVIVOR_COUNT,
            help=f"how many synthetic survivors to seed (default {DEFAULT_SURVIVOR_COUNT})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Fake people must never land in a real deployment's database.
        if not settings.DEMO:
            raise CommandError(
                "The demo only runs in demo mode: use `reclaim demo` (it sets RECLAIM_DEMO=1)."
            )
        if options["survivors"] < 0:
            raise CommandError("--survivors must be 0 or more.")
        quiet = options["verbosity"] < 1
        self._step("Setting up the databases (main and keystore)…", quiet)
        for database in ("default", "keystore"):
            call_command("migrate", database=database, interactive=False, verbosity=0)
        self._step("Collecting static files…", quiet)
        call_command("collectstatic", interactive=False, verbosity=0)
        self._step("Seeding the demo network…", quiet)
        summary = seed_demo(
            survivors_wanted=options["survivors"], progress=not quiet, stream=self.stderr
        )
        self.stdout.write(self.logins(summary, options["bind"], serving=not options["no_serve"]))
        if not options["no_serve"]:
            call_command("serve", bind=options["bind"])

    def _step(self, message: str, quiet: bool) -> None:
        if not quiet:
            self.stderr.write(message)

    def logins(self, summary: SeedSummary, bind: str, *, serving: bool) -> str:
        labels = dict(Role.choices)
        width = max(len(account.username) for account in summary.accounts) + 2
        lines = [
            "",
            self.style.SUCCESS("Reclaim demo is ready."),
            f"  {summary.organisations} organisations, {summary.users} accounts, "
            f"{summary.survivors_total} synthetic survivors "
            f"({summary.survivors_created} added now).",
            "",
            "Log in with any of these usernames. Every demo account has the same password:",
            "",
            f"    password: {self.style.WARNING(summary.password)}",
            "",
            f"    {'username'.ljust(width)}{'role'.ljust(22)}organisation",
        ]
        for account in summary.accounts:
            role = str(labels[account.role])
            lines.append(
                f"    {account.username.ljust(width)}{role.ljust(22)}{account.organisation}"
            )
        lines += [
            "",
            "Demo mode: all data is made up, and staff are not asked to set up two-step login",
            "(MFA). Never use demo mode or its accounts for real people.",
        ]
        if serving:
            lines += ["", f"Open http://{bind}/ in your browser. Stop the server with Ctrl+C."]
        return "\n".join(lines) + "\n"
