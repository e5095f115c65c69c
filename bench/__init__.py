"""Benchmarks for Reclaim (`reclaim bench`, `python -m bench`).

- `generate`: synthetic organisations, staff, encrypted survivors, cases, consents and an audit
  chain, written in bulk through the same sealing code as the app;
- `operations`: the operations staff do all day, timed through the real services and beside
  the shortest raw SQL that fetches the same rows (the overhead ratio);
- `harness`: warm-up, timing, percentiles, peak memory, the table and the JSON;
- `loadtest`: gunicorn on 127.0.0.1 under stepped concurrency (never in CI).
"""
