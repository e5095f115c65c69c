"""The load test: `reclaim serve` (gunicorn) on 127.0.0.1 under stepped concurrency. Not in CI.

Each virtual user acts as one case manager: with a personal access token against the JSON API
when it exists (`GET /api/v1/survivors/` then profiles of that caseload, each an audited read,
and now and then an edit), else with a session cookie against the HTML pages, else `/healthz`;
one user in ten is partner staff polling the referral inbox and notifications.

The load comes from `wrk` when it is installed (`apt-get install wrk`): one C thread with one
connection per virtual user, taking the users' requests in turn (bench/wrk_mix.lua), so the
server gets nearly all the cores. Without wrk, virtual users are Python threads in this process
with their own `http.client` connection; they take a share of the cores the server runs on, so
their figure is a floor. Every step runs for a bounded time and the server is stopped at the
end; the audit chain is verified afterwards, since every read appended to it from several
workers at once.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import Resolver404, resolve

from reclaim.core import audit
from reclaim.core import services as core_services
from reclaim.core.models import AuditHead
from reclaim.survivors.models import Case

from .generate import Dataset
from .harness import percentile

LOOPBACK = "127.0.0.1"  # the only address this module ever talks to
REQUEST_TIMEOUT_S = 30.0
LIST_EVERY = 5  # one caseload page for every four profiles
WRITE_EVERY = 10  # one profile change for every nine reads
PARTNER_SHARE = 10  # one virtual user in ten is partner staff polling the referral inbox
ERROR_RATE_TARGET = 0.01
CAPACITY_P95_MS = 250.0
CAPACITY_TARGET_PER_S = 300.0
GENERATORS = ("auto", "wrk", "python")
WRK_SCRIPT = Path(__file__).with_name("wrk_mix.lua")
WRK_RESULT_PREFIX = "RECLAIM_WRK_RESULT "

Request = tuple[str, str, bytes | None]  # method, path, JSON body


@dataclass
class VirtualUser:
    headers: dict[str, str]
    requests: list[Request]


def _exists(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _requests(
    list_path: str,
    detail: Callable[[Any], str],
    survivor_ids: list[Any],
    *,
    writes: bool = False,
) -> list[Request]:
    """A case manager's day: caseload pages, profiles, and (API) now and then a profile edit."""
    requests: list[Request] = []
    for number, survivor_id in enumerate(survivor_ids):
        if number % (LIST_EVERY - 1) == 0:
            requests.append(("GET", list_path, None))
        requests.append(("GET", detail(survivor_id), None))
        if writes and number % (WRITE_EVERY - 1) == 0:
            pronouns = ("she/her", "he/him", "they/them")[number % 3]
            body = json.dumps({"pronouns": pronouns}).encode()
            requests.append(("PATCH", detail(survivor_id), body))
    return requests or [("GET", list_path, None)]


def _partner_user(dataset: Dataset) -> Any:
    """A partner-staff account in the dataset's partner organisation (made once)."""
    from reclaim.core.models import Membership, Role, User

    user, created = User.objects.get_or_create(username=f"bench-{dataset.tag}-partner-load")
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Membership.objects.create(
            user=user, organisation_id=dataset.partner_id, role=Role.PARTNER_STAFF
        )
    return user


def virtual_users(dataset: Dataset, count: int) -> tuple[str, list[VirtualUser]]:
    """One credential per case manager (reused round-robin when users outnumber them)."""
    managers = dataset.case_manager_ids[: max(1, count)]
    sample = Case.objects.filter(assigned_to_id=managers[0]).values_list("survivor_id", flat=True)
    first = sample.first()
    if _exists("/api/v1/survivors/") and first and _exists(f"/api/v1/survivors/{first}"):
        mode = "api"
    elif _exists("/caseload/") and first and _exists(f"/survivors/{first}/"):
        mode = "html"
    else:
        mode = "healthz"
    credentials: list[VirtualUser] = []
    partners: list[VirtualUser] = []
    if mode == "api" and _exists("/api/v1/referrals/"):
        partner = _partner_user(dataset)
        secret = core_services.create_access_token(by=partner, name="bench load", can_write=False)
        partners.append(
            VirtualUser(
                {"Authorization": f"Bearer {secret.secret}"},
                [
                    ("GET", "/api/v1/referrals/?box=received", None),
                    ("GET", "/api/v1/referrals/notifications", None),
                ],
            )
        )
    for manager_id in managers:
        user = dataset.user(manager_id)
        ids = list(
            Case.objects.filter(assigned_to_id=manager_id).values_list("survivor_id", flat=True)
        )
        if mode == "api":
            secret = core_services.create_access_token(by=user, name="bench load", can_write=True)
            headers = {"Authorization": f"Bearer {secret.secret}"}
            paths = _requests(
                "/api/v1/survivors/?limit=50",
                lambda sid: f"/api/v1/survivors/{sid}",
                ids,
                writes=True,
            )
        elif mode == "html":
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
            paths = _requests("/caseload/", lambda sid: f"/survivors/{sid}/", ids)
        else:
            headers, paths = {}, [("GET", "/healthz", None)]
        credentials.append(VirtualUser(headers, paths))
    users = [
        partners[0]
        if partners and i % PARTNER_SHARE == PARTNER_SHARE - 1
        else credentials[i % len(credentials)]
        for i in range(count)
    ]
    return mode, users


@contextlib.contextmanager
def server(
    port: int, workers: int, write: Callable[[str], Any]
) -> Iterator[subprocess.Popen[bytes]]:
    """`reclaim serve` on 127.0.0.1:port; stopped (only this process) when the block ends."""
    workdir = Path(os.environ.get("RECLAIM_DATA_DIR") or ".")
    log_path = workdir / "bench-server.log"
    env = dict(os.environ)
    env["DJANGO_ALLOWED_HOSTS"] = LOOPBACK
    command = [
        sys.executable, "-m", "reclaim.cli", "serve",
        "--bind", f"{LOOPBACK}:{port}", "--workers", str(workers),
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_ready(port, process, log_path)
            write(f"  gunicorn: {workers} workers on {LOOPBACK}:{port} (pid {process.pid})")
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_ready(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text()[-2000:]
            raise RuntimeError(f"the server stopped at start-up:\n{tail}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            probe = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                probe.close()
                return
        time.sleep(0.3)
    raise RuntimeError("the server did not answer /healthz within 60 s")


def _virtual_user_loop(
    port: int, user: VirtualUser, deadline: float, out: list[tuple[int, int | str]]
) -> None:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=REQUEST_TIMEOUT_S)
    index = random.randrange(len(user.requests))  # spreading load, not security
    headers = {**user.headers, "Content-Type": "application/json"}
    while time.monotonic() < deadline:
        method, path, body = user.requests[index % len(user.requests)]
        index += 1
        started = time.perf_counter_ns()
        status: int | str
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
            conn.close()
            conn = http.client.HTTPConnection(LOOPBACK, port, timeout=REQUEST_TIMEOUT_S)
        out.append((time.perf_counter_ns() - started, status))
    conn.close()


def run_step(port: int, users: list[VirtualUser], seconds: float) -> dict[str, Any]:
    outcomes: list[list[tuple[int, int | str]]] = [[] for _ in users]
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_virtual_user_loop, args=(port, user, deadline, outcomes[i]))
        for i, user in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT_S + 5)
    elapsed = time.monotonic() - started
    merged = [item for per_user in outcomes for item in per_user]
    statuses = Counter(str(status) for _ns, status in merged)
    failed = sum(count for status, count in statuses.items() if status != "200")
    ms = [ns / 1e6 for ns, _status in merged]
    return {
        "p50_ms": round(percentile(ms, 0.50), 2) if ms else None,
        "p95_ms": round(percentile(ms, 0.95), 2) if ms else None,
        "p99_ms": round(percentile(ms, 0.99), 2) if ms else None,
        "ops_per_s": round(len(merged) / elapsed, 1),
        "requests": len(merged),
        "error_rate": round(failed / len(merged), 4) if merged else 1.0,
        "statuses": dict(statuses),
        "elapsed_s": round(elapsed, 1),
    }


# --- wrk: the same users' requests, sent from C -------------------------------------------------


def choose_generator(requested: str = "auto") -> str:
    """`wrk` when asked for or installed; `python` (threads in this process) otherwise."""
    if requested not in GENERATORS:
        raise ValueError(f"the load generator is one of {', '.join(GENERATORS)}")
    if requested == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if requested == "wrk" and not shutil.which("wrk"):
        raise RuntimeError(
            "wrk is not installed (Debian: apt-get install wrk); "
            "or run with --load-generator python"
        )
    return requested


def interleaved(users: list[VirtualUser]) -> list[tuple[Request, dict[str, str]]]:
    """The users' requests taking turns (each user from its own random place in its list),
    long enough that every user's whole list appears: the order wrk sends them in."""
    rng = random.Random(5)  # spreading load, not security
    starts = [rng.randrange(len(user.requests)) for user in users]
    rounds = max(len(user.requests) for user in users)
    return [
        (user.requests[(start + turn) % len(user.requests)], user.headers)
        for turn in range(rounds)
        for user, start in zip(users, starts, strict=True)
    ]


def write_wrk_requests(users: list[VirtualUser], path: Path) -> int:
    """One request a line, as bench/wrk_mix.lua reads them: METHOD, path, header, body."""
    lines = []
    for (method, target, body), headers in interleaved(users):
        if len(headers) > 1:
            raise ValueError("the wrk script sends one credential header per request")
        header = "".join(f"{name}: {value}" for name, value in headers.items())
        text = (body or b"").decode()
        if any("\t" in part or "\n" in part for part in (target, header, text)):
            raise ValueError("a request for wrk may hold no tab or newline")
        lines.append(f"{method}\t{target}\t{header}\t{text}\n")
    path.write_text("".join(lines))
    return len(lines)


def parse_wrk_output(stdout: str) -> dict[str, Any]:
    """The step's outcome from the result line bench/wrk_mix.lua prints when wrk is done."""
    lines = [line for line in stdout.splitlines() if line.startswith(WRK_RESULT_PREFIX)]
    if not lines:
        raise RuntimeError(f"wrk printed no result line:\n{stdout[-2000:]}")
    raw = json.loads(lines[-1].removeprefix(WRK_RESULT_PREFIX))
    statuses = Counter({str(status): count for status, count in raw["statuses"].items()})
    for kind, count in raw["socket_errors"].items():
        if count:
            statuses[f"socket {kind}"] += count
    total = sum(statuses.values())
    answered = int(raw["requests"])
    failed = total - statuses["200"]
    elapsed = raw["duration_us"] / 1e6
    return {
        "p50_ms": round(raw["p50_us"] / 1000, 2) if answered else None,
        "p95_ms": round(raw["p95_us"] / 1000, 2) if answered else None,
        "p99_ms": round(raw["p99_us"] / 1000, 2) if answered else None,
        "ops_per_s": round(answered / elapsed, 1) if elapsed else 0.0,
        "requests": answered,
        "error_rate": round(failed / total, 4) if total else 1.0,
        "statuses": dict(statuses),
        "elapsed_s": round(elapsed, 1),
    }


def run_wrk_step(port: int, users: list[VirtualUser], seconds: float) -> dict[str, Any]:
    """One step from wrk: one connection per virtual user, one thread, bounded in time."""
    with tempfile.TemporaryDirectory(prefix="reclaim-wrk-") as workdir:
        requests_path = Path(workdir) / "requests.tsv"
        write_wrk_requests(users, requests_path)
        whole_seconds = max(1, round(seconds))
        command = [
            "wrk", "--threads", "1", "--connections", str(len(users)),
            "--duration", f"{whole_seconds}s", "--timeout", f"{REQUEST_TIMEOUT_S:g}s",
            "--script", str(WRK_SCRIPT), f"http://{LOOPBACK}:{port}/",
            "--", str(requests_path), "1",
        ]  # fmt: skip
        finished = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=whole_seconds + REQUEST_TIMEOUT_S + 30,
            check=False,
        )
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed ({finished.returncode}):\n{finished.stderr[-2000:]}")
    return parse_wrk_output(finished.stdout)


# --- server CPU per request: what bounds capacity on a machine of few cores ----------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (Linux /proc); 0 when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(root: int) -> list[int]:
    """The pid and every descendant (gunicorn's master and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def database_backends() -> list[int]:
    """PostgreSQL server processes serving the benchmark's two databases (none for SQLite)."""
    names = {
        str(connections[alias].settings_dict["NAME"])
        for alias in ("default", "keystore")
        if connections[alias].vendor == "postgresql"
    }
    if not names:
        return []
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
            [sorted(names)],
        )
        return [int(row[0]) for row in cursor.fetchall()]


def server_cpu(process: subprocess.Popen[bytes]) -> dict[int, float]:
    """CPU seconds so far of the server's processes and the database's, by pid."""
    if not Path("/proc/self/stat").exists():
        return {}
    pids = process_tree(process.pid) + database_backends()
    return {pid: cpu_seconds(pid) for pid in pids}


def cpu_per_request(
    before: dict[int, float], after: dict[int, float], requests: int, app_pids: set[int]
) -> dict[str, float] | None:
    """Milliseconds of CPU per request, for the app server and the database, over one step
    (a process that started during the step counts from zero; one that ended is lost)."""
    if not requests or not after:
        return None
    app = sum(after[pid] - before.get(pid, 0.0) for pid in after if pid in app_pids)
    database = sum(after[pid] - before.get(pid, 0.0) for pid in after if pid not in app_pids)
    return {
        "app_cpu_ms": round(app * 1000 / requests, 2),
        "database_cpu_ms": round(database * 1000 / requests, 2),
    }


def capacity(steps: list[dict[str, Any]], database: str) -> dict[str, Any]:
    """The most requests/s any step served with p95 within the target and few errors."""
    good = [
        step
        for step in steps
        if step["p95_ms"] is not None
        and step["p95_ms"] <= CAPACITY_P95_MS
        and step["error_rate"] <= ERROR_RATE_TARGET
    ]
    best = max(good, key=lambda step: step["ops_per_s"], default=None)
    per_s = best["ops_per_s"] if best else 0.0
    return {
        "operation": "load_capacity",
        "database": database,
        "p50_ms": best["p50_ms"] if best else None,
        "p95_ms": best["p95_ms"] if best else None,
        "p99_ms": best["p99_ms"] if best else None,
        "ops_per_s": per_s,
        "unit": "req/s",
        "users": best["users"] if best else 0,
        "target": f"≥ {CAPACITY_TARGET_PER_S:g} req/s at p95 ≤ {CAPACITY_P95_MS:g} ms",
        "pass": per_s >= CAPACITY_TARGET_PER_S,
    }


def refresh_planner_statistics() -> None:
    """ANALYZE both databases, as a deployment keeps them analysed. Where autovacuum is off or
    has not run yet, a new PostgreSQL dataset has no statistics, and the access layer's
    queries are planned as for empty tables (a caseload page read every case of the
    organisation, 60 ms instead of 2 ms). On SQLite the app's connections analyse the
    tables they use as they close (`reclaim.core.sqlite_backend`); the benchmark's own
    long-lived connection never closes, so it does the same sampled ANALYZE here."""
    from reclaim.core.sqlite_backend.base import ANALYSIS_LIMIT

    for alias in ("default", "keystore"):
        # Only in autocommit: inside a transaction ANALYZE would hold its locks on the shared
        # catalogues (pg_authid…) until the end, and the other database's ANALYZE would wait.
        database = connections[alias]
        if database.in_atomic_block:
            continue
        with database.cursor() as cursor:
            if database.vendor == "postgresql":
                cursor.execute("ANALYZE")
            elif database.vendor == "sqlite":
                cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
                cursor.execute("ANALYZE")


def run(
    dataset: Dataset,
    *,
    steps: list[int],
    step_s: float,
    workers: int | None,
    database: str,
    write: Callable[[str], Any],
    generator: str = "auto",
) -> list[dict[str, Any]]:
    """Step the concurrency up, one bounded step at a time; one result per step."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name):
        raise RuntimeError("the load test needs a database the server can open (not in memory)")
    workers = workers or os.cpu_count() or 2
    generator = choose_generator(generator)
    step = run_wrk_step if generator == "wrk" else run_step
    mode, users = virtual_users(dataset, max(steps))
    refresh_planner_statistics()
    head_before = AuditHead.objects.get(pk=1).seq
    port = _free_port()
    write(f"Load test: {mode} endpoints, steps {steps} users, {step_s:g} s each")
    if generator == "wrk":
        write("  load from wrk (one thread, one connection per user)")
    else:
        write(
            "  load from Python threads in this process, on the server's cores "
            "(install wrk for a generator that leaves them to the server)"
        )
    results = []
    with server(port, workers, write) as process:
        for count in steps:
            before = server_cpu(process)
            outcome = step(port, users[:count], step_s)
            after = server_cpu(process)
            cost = cpu_per_request(
                before, after, outcome["requests"], set(process_tree(process.pid))
            )
            if cost:
                outcome.update(cost)
            spent = (
                f", CPU per request: app {cost['app_cpu_ms']} ms + database "
                f"{cost['database_cpu_ms']} ms"
                if cost
                else ""
            )
            write(
                f"  {count:>4} users: {outcome['ops_per_s']:,.0f} req/s, "
                f"p95 {outcome['p95_ms']} ms, errors {outcome['error_rate']:.2%}{spent}"
            )
            results.append(
                {
                    "operation": f"load_{count}_users",
                    "database": database,
                    **outcome,
                    "unit": "req/s",
                    "target": f"errors ≤ {ERROR_RATE_TARGET:.0%}",
                    "pass": outcome["error_rate"] <= ERROR_RATE_TARGET,
                    "users": count,
                    "endpoints": mode,
                    "workers": workers,
                    "generator": generator,
                }
            )
    results.append(capacity(results, database))
    verified = audit.verify_chain()
    written = AuditHead.objects.get(pk=1).seq - head_before
    write(
        f"  audit chain after the load: {'intact' if verified.ok else 'BROKEN'}, "
        f"{written:,} events appended by the server"
    )
    for item in results:
        item["audit_chain_intact"] = verified.ok
    return results
