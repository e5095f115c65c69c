"""`reclaim audit verify` and `reclaim audit checkpoint`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from reclaim.core import audit
from reclaim.core.models import AuditHead


class _ProgressBar(tqdm):
    # No monitor thread: verification forks worker processes, and forking a process that runs
    # other threads can deadlock the children.
    monitor_interval = 0


class Command(BaseCommand):
    help = "Verify the audit hash chain, or write a signed checkpoint of its head."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="recompute the chain; exit 1 at the first break")
        verify.add_argument("--checkpoint", help="also check a signed checkpoint file")
        verify.add_argument("--public-key", help="base64 Ed25519 public key to trust for it")
        checkpoint = sub.add_parser(
            "checkpoint", help="sign the head hash (keep it off the server)"
        )
        checkpoint.add_argument("--key", default=None, help="Ed25519 private key file (PEM)")
        checkpoint.add_argument("--out", default="-", help="file to write, or - for stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self.verify(options)
        else:
            self.checkpoint(options)

    def verify(self, options: dict[str, Any]) -> None:
        total = AuditHead.objects.get(pk=1).seq
        with _ProgressBar(
            total=total, unit="event", disable=total < 50000, file=self.stderr
        ) as bar:
            result = audit.verify_chain(progress=bar)
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at sequence number {result.first_bad_seq}: {result.problem}"
            )
        if options.get("checkpoint"):
            data = json.loads(Path(options["checkpoint"]).read_text())
            problem = audit.verify_checkpoint(data, options.get("public_key"))
            if problem:
                raise CommandError(f"Checkpoint does not match: {problem}")
        self.stdout.write(f"Audit chain intact: {result.checked} events, head {result.head_hash}")

    def checkpoint(self, options: dict[str, Any]) -> None:
        key_path = options["key"] or settings.RECLAIM_AUDIT_SIGNING_KEY_FILE
        data = audit.make_checkpoint(audit.load_or_create_signing_key(key_path))
        text = json.dumps(data, indent=2)
        if options["out"] == "-":
            self.stdout.write(text)
        else:
            Path(options["out"]).write_text(text + "\n")
            self.stdout.write(f"Checkpoint of event {data['seq']} written to {options['out']}")
