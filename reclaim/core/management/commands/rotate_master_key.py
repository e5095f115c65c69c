"""`reclaim rotate-master-key`: re-wrap every key under the newest master key version."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from reclaim.core import crypto
from reclaim.core.errors import KeystoreUnavailable
from reclaim.core.models import DataKey, SystemKey
from reclaim.core.routers import KEYSTORE_DB


class Command(BaseCommand):
    help = (
        "Re-wrap all data keys with the newest master key. Add the new key to RECLAIM_MASTER_KEY "
        "as the highest version (1:old,2:new), run this, then remove the old one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ring = crypto.keyring()
            version = ring.current_version
            stale = sum(
                model.objects.using(KEYSTORE_DB).exclude(master_version=version).count()
                for model in (DataKey, SystemKey)
            )
            with tqdm(total=stale, unit="key", file=self.stderr) as bar:
                count = crypto.rotate_master_key(progress=bar)
            crypto.verify_master_key()
        except KeystoreUnavailable as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"Re-wrapped {count} keys under master key version {version}.")
