"""Data shared by several tests of one module or class, built once and rolled back at the end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.db import connections, transaction

from reclaim.core import crypto


@contextmanager
def rolled_back_afterwards(django_db_blocker: Any) -> Iterator[None]:
    """An open transaction on every database for a module- or class-scoped fixture's data.

    Each test inside still runs in its own savepoint (pytest-django's TestCase), so whatever
    one test writes is undone before the next: every test sees the same fresh shared data.
    """
    with django_db_blocker.unblock(), ExitStack() as atomics:
        for alias in connections:
            atomics.enter_context(transaction.atomic(using=alias))
        try:
            yield
        finally:
            for alias in connections:
                transaction.set_rollback(True, using=alias)
    crypto.forget_cached_keys()
