"""Signals other apps answer without the survivors app depending on them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the erasure's transaction, after the record is marked erased and before its
# data key is shredded: survivor_id, by (None when an operator ran the command), at. A
# receiver that raises rolls the erasure back.
survivor_erased = Signal()
