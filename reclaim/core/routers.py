"""Send the keystore tables to their own database and nothing else there."""

from __future__ import annotations

from typing import Any

KEYSTORE_DB = "keystore"
KEYSTORE_MODELS = frozenset({"datakey", "systemkey"})


def _is_keystore(app_label: str, model_name: str | None) -> bool:
    return app_label == "core" and model_name in KEYSTORE_MODELS


class KeystoreRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return KEYSTORE_DB if _is_keystore(model._meta.app_label, model._meta.model_name) else None

    db_for_write = db_for_read

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if hints.get("target_db"):
            return db == hints["target_db"]
        if model_name is None:
            # RunPython/RunSQL without a model: main database only, unless they say otherwise.
            return db != KEYSTORE_DB
        return (db == KEYSTORE_DB) == _is_keystore(app_label, model_name)
