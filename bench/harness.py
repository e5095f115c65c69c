"""Warm-up, timing, percentiles, peak memory; the table and the JSON; the command line.

`python -m bench` (and `reclaim bench`, which starts it) runs against its own databases: a fresh
pair of SQLite files in a temporary directory by default, or `--database URL` (the keystore goes
to `--keystore URL`, by default the same server with "_keys" added to the database name). It
refuses a database holding anything the benchmark did not create. `--in-process` instead uses
the databases Django is already configured with (the smoke test runs it in the test database).

This module imports Django models only inside functions: `python -m bench` must set the
environment before Django reads its settings.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import hashlib
import io
import json
import math
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# Synthetic data only: the benchmark's own, published keys. Never used for real records.
BENCH_MASTER_KEY = "1:" + base64.urlsafe_b64encode(
    hashlib.sha256(b"reclaim-bench: synthetic data only").digest()
).decode().rstrip("=")
BENCH_SECRET_KEY = "reclaim-bench-not-a-secret-" + "b" * 40
CONTRACT_KEYS = (
    "operation",
    "database",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "ops_per_s",
    "target",
    "pass",
)
PEAK_MEMORY_RUNS = 1  # after warm-up one call shows the peak; tracemalloc is slow

Write = Callable[[str], Any]


# --- command line -----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", choices=("tiny", "small", "network"), default="tiny")
    parser.add_argument("--database", help="main database URL (default: a temporary SQLite file)")
    parser.add_argument(
        "--keystore", help="keystore database URL (default: derived from --database)"
    )
    parser.add_argument("--json", dest="json", metavar="OUT", help="write the results as JSON")
    parser.add_argument(
        "--reuse", action="store_true", help="keep a dataset of this scale if present"
    )
    parser.add_argument("--iterations", type=int, help="timed iterations per operation")
    parser.add_argument("--survivors", type=int, help="override the scale's number of survivors")
    parser.add_argument("--audit-events", type=int, help="override the scale's audit events")
    parser.add_argument(
        "--profile", metavar="OPERATION", help="cProfile one operation and print it"
    )
    parser.add_argument("--load", action="store_true", help="also run the HTTP load test (not CI)")
    parser.add_argument("--load-steps", default="10,50,100,200", help="concurrent users per step")
    parser.add_argument("--step-seconds", type=float, default=20.0, help="length of each load step")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: one per core)")
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="wrk, or threads in this process (default: wrk when installed)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="use the databases Django is configured with (tests); nothing is cleared",
    )


VALUE_OPTIONS = (
    "scale", "database", "keystore", "json", "iterations", "survivors", "audit_events",
    "profile", "load_steps", "step_seconds", "workers", "load_generator",
)  # fmt: skip
FLAG_OPTIONS = ("reuse", "load")


def to_argv(options: dict[str, Any]) -> list[str]:
    """Options (from the management command) back into `python -m bench` arguments."""
    argv: list[str] = []
    for name in VALUE_OPTIONS:
        if options.get(name) is not None:
            argv += ["--" + name.replace("_", "-"), str(options[name])]
    for name in FLAG_OPTIONS:
        if options.get(name):
            argv.append("--" + name.replace("_", "-"))
    return argv


def launch(options: dict[str, Any]) -> int:
    """Run `python -m bench` in a child process (its own settings and databases)."""
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return subprocess.call([sys.executable, "-m", "bench", *to_argv(options)], env=env)


def keystore_url_for(url: str) -> str:
    """The keystore beside the main database: "<name>_keys" on a server, "<stem>-keys" a file."""
    if url.startswith("sqlite"):
        stem, dot, suffix = url.rpartition(".")
        return f"{stem}-keys.{suffix}" if dot and "/" not in suffix else f"{url}-keys"
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "reclaim_bench"
    return urlunsplit(parts._replace(path=f"/{name}_keys"))


def configure_environment(options: dict[str, Any]) -> tempfile.TemporaryDirectory[str]:
    """Point Django at the benchmark's databases, keys and relaxed-MFA demo settings."""
    workdir = tempfile.TemporaryDirectory(prefix="reclaim-bench-")
    database = options.get("database") or f"sqlite:///{workdir.name}/bench.sqlite3"
    keystore = options.get("keystore") or keystore_url_for(database)
    os.environ.pop("DJANGO_DEBUG", None)  # DEBUG keeps every query in memory
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "reclaim.settings",
            "DATABASE_URL": database,
            "RECLAIM_KEYSTORE_URL": keystore,
            "DJANGO_SECRET_KEY": BENCH_SECRET_KEY,
            "RECLAIM_MASTER_KEY": BENCH_MASTER_KEY,
            "RECLAIM_DEMO": "1",
            "RECLAIM_DEMO_RELAX_MFA": "1",
            "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "RECLAIM_DATA_DIR": workdir.name,
            "RECLAIM_LOG_LEVEL": "ERROR",
        }
    )
    os.environ.pop("RECLAIM_MASTER_KEY_FILE", None)
    os.environ.pop("DJANGO_SECRET_KEY_FILE", None)
    return workdir


def requested_scale(options: dict[str, Any]) -> Any:
    """The scale asked for, with its --survivors, --audit-events and --iterations."""
    from .generate import SCALES

    return SCALES[options.get("scale") or "tiny"].with_overrides(
        survivors=options.get("survivors"),
        audit_events=options.get("audit_events"),
        iterations=options.get("iterations"),
    )


def prepare(write: Write, *, reuse: Any = None) -> None:
    """Migrate both databases; refuse foreign data; clear an earlier benchmark's data (unless
    `reuse`, a scale with its overrides, finds its dataset there); collect the static files
    (the pages' manifest storage needs them)."""
    from django.core.management import call_command

    from reclaim.core import audit, crypto
    from reclaim.core.models import AuditHead, Organisation, User

    from .generate import MARKER, find_dataset

    for alias in ("default", "keystore"):
        call_command("migrate", database=alias, verbosity=0, interactive=False)
    foreign_orgs = Organisation.objects.exclude(description__startswith=f"{MARKER}|").exists()
    foreign_users = User.objects.exclude(username__startswith="bench-").exists()
    if foreign_orgs or foreign_users:
        raise SystemExit(
            "This database holds organisations or users the benchmark did not create. "
            "Point --database (and --keystore) at empty databases made for benchmarking."
        )
    reusable = reuse is not None and find_dataset(reuse) is not None
    if Organisation.objects.exists() and not reusable:
        write("Clearing the previous benchmark data…")
        for alias in ("default", "keystore"):
            call_command("flush", database=alias, verbosity=0, interactive=False)
        crypto.forget_cached_keys()
    AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": audit.GENESIS_HASH})
    collect_static()


def collect_static() -> None:
    """Collect static files into the benchmark's STATIC_ROOT for the pages' manifest storage.

    reclaim/static (the shared base assets) is not in an installed app; until settings list it
    in STATICFILES_DIRS, the benchmark adds it for collection only.
    """
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    shared = Path(settings.BASE_DIR) / "static"
    dirs = [str(entry) for entry in settings.STATICFILES_DIRS]
    if shared.is_dir() and str(shared) not in dirs:
        dirs.append(str(shared))
    with override_settings(STATICFILES_DIRS=dirs):
        call_command("collectstatic", interactive=False, verbosity=0)


def check_in_process_target() -> None:
    """--in-process writes thousands of synthetic rows: only into a test, demo or debug setup."""
    from django.conf import settings
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    test_name = (connection.settings_dict.get("TEST") or {}).get("NAME")
    in_tests = name.startswith("test_") or "memory" in name or name == str(test_name)
    if in_tests or settings.DEMO or settings.DEBUG:
        return
    raise SystemExit(
        "--in-process adds synthetic data to the configured database; it only runs in tests, "
        "the demo or debug mode. Leave it out to benchmark in separate databases."
    )


# --- measuring --------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _time_calls(
    run: Callable[[int], Any], iterations: int, warmup: int
) -> tuple[list[int], int, int]:
    """Wall-clock time of each call, units returned, and this process's CPU time in total."""
    for i in range(warmup):
        run(i)
    timings: list[int] = []
    units = 0
    cpu_started = time.process_time_ns()
    for i in range(warmup, warmup + iterations):
        started = time.perf_counter_ns()
        result = run(i)
        timings.append(time.perf_counter_ns() - started)
        if isinstance(result, int) and not isinstance(result, bool):
            units += result
    return timings, units, time.process_time_ns() - cpu_started


def _peak_kib(run: Callable[[int], Any], runs: int) -> float:
    """Peak Python allocations during a few calls (tracemalloc; separate from the timings)."""
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(runs):
            run(i)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 1024, 1)


def measure(operation: Any, *, iterations: int, warmup: int, database: str) -> dict[str, Any]:
    """Time one operation and its baseline; the contract's keys plus the detail."""
    iterations = operation.iterations or iterations
    warmup = operation.warmup if operation.warmup is not None else warmup
    result: dict[str, Any] = {
        "operation": operation.name,
        "database": database,
        "target": operation.target.describe(operation.unit),
        "unit": operation.unit,
        "iterations": iterations,
        # Other work on the machine skews timings; say how busy it was.
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    try:
        with operation.context():
            timings, units, cpu_ns = _time_calls(operation.run, iterations, warmup)
            peak = _peak_kib(operation.run, PEAK_MEMORY_RUNS)
            baseline = read_only = None
            if operation.baseline is not None:
                baseline, _units, _cpu = _time_calls(
                    operation.baseline, iterations, min(warmup, 20)
                )
            if operation.read_only is not None:
                read_only, _units, _cpu = _time_calls(
                    operation.read_only, iterations, min(warmup, 20)
                )
    except Exception as exc:  # one broken operation must not hide the others
        return {
            **result,
            "p50_ms": None,
            "p95_ms": None,
            "p99_ms": None,
            "ops_per_s": None,
            "pass": False,
            "error": f"{type(exc).__name__}: {exc}",
        }
    ms = [t / 1e6 for t in timings]
    total_s = sum(timings) / 1e9
    per_s = (units if units else iterations) / total_s
    p50, p95, p99 = (round(percentile(ms, q), 3) for q in (0.50, 0.95, 0.99))
    result.update(
        {
            "p50_ms": p50,
            "p95_ms": p95,
            "p99_ms": p99,
            "mean_ms": round(sum(ms) / len(ms), 3),
            # CPU time of this process per call: what other load on the machine cannot inflate
            # (the database server's own work is not in it on PostgreSQL).
            "cpu_mean_ms": round(cpu_ns / 1e6 / iterations, 3),
            "ops_per_s": round(per_s, 1),
            "peak_kib": peak,
        }
    )
    overhead = None
    if baseline:
        baseline_ms = [t / 1e6 for t in baseline]
        baseline_p50 = percentile(baseline_ms, 0.50)
        overhead = round(p50 / baseline_p50, 2) if baseline_p50 > 0 else None
        result["baseline_p50_ms"] = round(baseline_p50, 3)
        result["baseline_p95_ms"] = round(percentile(baseline_ms, 0.95), 3)
        result["overhead_ratio"] = overhead
    if read_only:
        # An audited read over its read alone: what the audit write and our code cost together.
        read_only_p50 = percentile([t / 1e6 for t in read_only], 0.50)
        result["read_only_p50_ms"] = round(read_only_p50, 3)
        result["read_only_ratio"] = round(p50 / read_only_p50, 2) if read_only_p50 > 0 else None
    result["pass"] = operation.target.check(p95_ms=p95, overhead=overhead, per_s=per_s)
    # Per part ("p95 ≤ 20 ms, ≤ 3x SQL" -> "PASS, MISS"), so one miss does not hide a pass.
    result["verdicts"] = [
        "PASS" if ok else "MISS"
        for ok in operation.target.verdicts(p95_ms=p95, overhead=overhead, per_s=per_s)
    ]
    return result


def profile_operation(operation: Any, *, iterations: int, write: Write, limit: int = 25) -> None:
    """cProfile an operation and print where its time goes (by own time, then cumulative)."""
    profiler = cProfile.Profile()
    with operation.context():
        operation.run(0)
        profiler.enable()
        for i in range(iterations):
            operation.run(i)
        profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(limit)
        write(f"--- {operation.name}: {iterations} calls, sorted by {order} ---")
        write(out.getvalue())


# --- running ----------------------------------------------------------------------------------


def database_label(alias: str = "default") -> str:
    from django.db import connections

    conn = connections[alias]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"postgresql {cursor.fetchone()[0].split()[0]}"
    if conn.vendor == "sqlite":
        import sqlite3

        return f"sqlite {sqlite3.sqlite_version}"
    return conn.vendor


def add_domain_data(dataset: Any, write: Write, database: str) -> list[dict[str, Any]]:
    """Care, directory and referral data on top of the core dataset (kept on --reuse). The
    directory import is itself measured: its result row is returned."""
    from . import care, network

    if not care.has_care_data(dataset):
        dataset.timings_s.update(care.generate_care(dataset, say=write))
    rows = []
    if not network.has_directory(dataset):
        rows.append(network.import_directory(dataset, say=write, database=database))
    rows.append(network.time_export(dataset, say=write, database=database))
    return rows


def run(options: dict[str, Any], *, write: Write = print) -> list[dict[str, Any]]:
    """Generate (or reuse) a dataset, time every operation, optionally load-test; report."""
    from django.db import connection

    from . import operations
    from .generate import find_dataset, generate

    if options.get("in_process"):
        check_in_process_target()
    scale = requested_scale(options)
    database = database_label()
    write(
        f"Reclaim benchmark — scale {scale.name} ({scale.survivors:,} survivors, "
        f"{scale.audit_events:,} audit events) on {database}"
    )
    dataset = find_dataset(scale) if options.get("reuse") else None
    if dataset is None:
        write("Generating the synthetic dataset…")
        dataset = generate(scale, say=write)
        write(f"Generated in {dataset.generation_s:.1f} s: {dataset.timings_s}")
    else:
        write(f"Reusing dataset {dataset.tag}")
    results = add_domain_data(dataset, write, database)
    # As autovacuum would have by now in production (it is off on some servers): without
    # statistics PostgreSQL plans the access layer's queries as for empty tables.
    from .loadtest import refresh_planner_statistics

    refresh_planner_statistics()
    for operation in operations.build(dataset, vendor=connection.vendor):
        write(f"  timing {operation.name}…")
        outcome = measure(
            operation, iterations=scale.iterations, warmup=scale.warmup, database=database
        )
        outcome.update(dataset.describe())
        results.append(outcome)
        if options.get("profile") == operation.name and not outcome.get("error"):
            profile_operation(operation, iterations=min(scale.iterations, 300), write=write)

    if options.get("load"):
        from . import loadtest

        steps = [int(step) for step in str(options.get("load_steps") or "10,50,100,200").split(",")]
        for outcome in loadtest.run(
            dataset,
            steps=steps,
            step_s=float(options.get("step_seconds") or 20.0),
            workers=options.get("workers"),
            database=database,
            write=write,
            generator=options.get("load_generator") or "auto",
        ):
            outcome.update(dataset.describe())
            results.append(outcome)

    write("")
    write(format_table(results))
    write(machine_summary())
    if options.get("json"):
        Path(options["json"]).write_text(json.dumps(results, indent=2, default=str) + "\n")
        write(f"JSON written to {options['json']}")
    return results


def _ms(value: Any) -> str:
    return "—" if value is None else f"{value:.2f} ms"


def format_table(results: list[dict[str, Any]]) -> str:
    header = (
        "operation", "database", "p50", "p95", "p99", "throughput", "peak mem",
        "CPU/call", "SQL p50", "overhead", "x read-only", "target", "result",
    )  # fmt: skip
    rows = [header]
    for item in results:
        verdict = {True: "PASS", False: "MISS", None: "—"}[item.get("pass")]
        if len(item.get("verdicts") or ()) > 1:
            verdict = ", ".join(item["verdicts"])
        if item.get("error"):
            verdict = "ERROR"
        per_s = item.get("ops_per_s")
        unit = item.get("unit", "ops/s")
        rows.append(
            (
                item["operation"],
                item["database"],
                _ms(item.get("p50_ms")),
                _ms(item.get("p95_ms")),
                _ms(item.get("p99_ms")),
                "—" if per_s is None else f"{per_s:,.0f} {unit}",
                "—" if item.get("peak_kib") is None else f"{item['peak_kib']:,.0f} KiB",
                _ms(item.get("cpu_mean_ms")),
                _ms(item.get("baseline_p50_ms")),
                "—" if item.get("overhead_ratio") is None else f"{item['overhead_ratio']:.1f}x",
                "—" if item.get("read_only_ratio") is None else f"{item['read_only_ratio']:.1f}x",
                item.get("target", "—"),
                verdict,
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines = [" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    errors = [f"  {item['operation']}: {item['error']}" for item in results if item.get("error")]
    return "\n".join(lines + (["Errors:", *errors] if errors else []))


def machine_summary() -> str:
    import django

    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Django {django.get_version()}; peak RSS of this process {rss_mib:,.0f} MiB; "
        f"load average {load}"
    )
