"""Django's SQLite backend, plus what SQLite asks of applications whose connections are short:
`PRAGMA optimize` before closing each one (https://sqlite.org/lang_analyze.html).

Without statistics SQLite guesses that an index value matches about ten rows. At 100,000
survivors it then read a whole organisation (5,000 survivors) for a caseload page of 50
instead of starting from the user's cases, and a search by reference went through the
organisation too (docs/performance.md, sixth run). `PRAGMA optimize` is usually a no-op; it
runs a sampled ANALYZE (at most `ANALYSIS_LIMIT` rows per index) on a table this connection
used when that table was never analysed or has grown or shrunk a lot since.
"""

from __future__ import annotations

import contextlib
import sqlite3

from django.db.backends.sqlite3 import base

ANALYSIS_LIMIT = 400


class DatabaseWrapper(base.DatabaseWrapper):
    def close(self) -> None:
        if self.connection is not None and not self.is_in_memory_db():
            # Never wait for another writer here: the statistics can be refreshed next time.
            with contextlib.suppress(sqlite3.Error):
                self.connection.execute("PRAGMA busy_timeout = 0")
                self.connection.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
                self.connection.execute("PRAGMA optimize")
        super().close()
