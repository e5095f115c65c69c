"""Test settings: the production settings module with test secrets from the environment.

DATABASE_URL / RECLAIM_KEYSTORE_URL select PostgreSQL (see .ci/run); SQLite otherwise.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-" + "t" * 40)
# A fixed test master key (version 1); tests that rotate add version 2 themselves.
os.environ.setdefault("RECLAIM_MASTER_KEY", "1:" + "A" * 43)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("RECLAIM_SSL_REDIRECT", "0")

from reclaim.settings import *  # noqa: F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Fast hashing in tests only; production order is checked by a test of reclaim.settings.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
# Serve static files straight from the apps in tests (no collectstatic step).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A test database need not survive a crash: PostgreSQL commits (migrations, transactional
# tests, their flushes) return without waiting for the write-ahead log to reach the disk.
for _database in DATABASES.values():  # noqa: F405
    if _database["ENGINE"].endswith("postgresql"):
        _database["OPTIONS"]["options"] += " -c synchronous_commit=off"

# Two PostgreSQL test runs on one server (two checkouts, say) need their own test databases:
# RECLAIM_TEST_DB_PREFIX=mine names them mine_test_reclaim… instead of test_reclaim….
_test_prefix = os.environ.get("RECLAIM_TEST_DB_PREFIX", "")
if _test_prefix:
    for _database in DATABASES.values():  # noqa: F405
        if _database["ENGINE"].endswith("postgresql"):
            _database["TEST"]["NAME"] = f"{_test_prefix}_{_database['TEST']['NAME']}"
