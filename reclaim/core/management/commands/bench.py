"""`reclaim bench`: the benchmark suite (the work is in the top-level `bench` package)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench import harness


class Command(BaseCommand):
    help = (
        "Benchmark the main operations on synthetic data: "
        "--scale tiny|small|network [--database URL] [--json OUT] [--load]."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        harness.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["in_process"]:
            results = harness.run(options, write=self.stdout.write)
            failed = [item["operation"] for item in results if item.get("error")]
        else:
            # Its own process: its own settings, databases and (synthetic-only) keys.
            failed = ["benchmark"] if harness.launch(options) else []
        if failed:
            raise CommandError(f"The benchmark failed: {', '.join(failed)}")
