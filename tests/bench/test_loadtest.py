"""The load test's parts that need no gunicorn: the request mix, both load generators against a
small local HTTP server, wrk's result line, and the capacity row. No timing is asserted."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from bench import loadtest
from bench.loadtest import VirtualUser

needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")


def _case_manager(token: str, survivors: int = 18) -> VirtualUser:
    requests = loadtest._requests(
        "/list", lambda sid: f"/survivors/{sid}", list(range(survivors)), writes=True
    )
    return VirtualUser({"Authorization": f"Bearer {token}"}, requests)


def _partner() -> VirtualUser:
    return VirtualUser(
        {"Authorization": "Bearer partner"}, [("GET", "/inbox", None), ("GET", "/notes", None)]
    )


def test_a_case_managers_day_lists_every_fifth_request_and_writes_one_in_ten():
    requests = _case_manager("a", survivors=36).requests
    methods = Counter(method for method, _path, _body in requests)
    lists = [path for _method, path, _body in requests if path == "/list"]
    assert methods["PATCH"] == 4
    assert len(lists) == 9
    assert len(requests) == 36 + 9 + 4
    assert all(body for method, _path, body in requests if method == "PATCH")


def test_interleaved_requests_take_turns_and_hold_every_users_whole_list():
    users = [_case_manager("a"), _case_manager("b", survivors=5), _partner()]
    sequence = loadtest.interleaved(users)
    assert len(sequence) == 3 * max(len(user.requests) for user in users)
    assert [headers for _request, headers in sequence[:3]] == [user.headers for user in users]
    for user in users:
        sent = [request for request, headers in sequence if headers is user.headers]
        assert set(sent) == set(user.requests)


def test_wrk_requests_file_has_one_request_a_line_with_its_credential(tmp_path):
    path = tmp_path / "requests.tsv"
    count = loadtest.write_wrk_requests([_case_manager("a", survivors=9), _partner()], path)
    lines = path.read_text().splitlines()
    assert len(lines) == count
    rows = [line.split("\t") for line in lines]
    assert all(len(row) == 4 for row in rows)
    patch = next(row for row in rows if row[0] == "PATCH")
    assert patch[2] == "Authorization: Bearer a"
    assert json.loads(patch[3]) == {"pronouns": "she/her"}
    assert {row[1] for row in rows if row[2] == "Authorization: Bearer partner"} == {
        "/inbox",
        "/notes",
    }


def test_wrk_requests_refuse_a_tab_that_would_split_a_line(tmp_path):
    user = VirtualUser({"Authorization": "Bearer a"}, [("GET", "/a\tb", None)])
    with pytest.raises(ValueError, match="tab or newline"):
        loadtest.write_wrk_requests([user], tmp_path / "requests.tsv")


def test_wrk_result_counts_other_statuses_and_socket_errors_as_errors():
    line = loadtest.WRK_RESULT_PREFIX + json.dumps(
        {
            "duration_us": 2_000_000,
            "requests": 600,
            "statuses": {"200": 594, "500": 6},
            "socket_errors": {"connect": 0, "read": 4, "write": 0, "timeout": 0},
            "p50_us": 12_345,
            "p95_us": 80_000,
            "p99_us": 120_500,
        }
    )
    outcome = loadtest.parse_wrk_output(f"Running 2s test\n{line}\n")
    assert outcome["ops_per_s"] == 300.0
    assert outcome["p50_ms"] == 12.35
    assert outcome["p95_ms"] == 80.0
    assert outcome["statuses"] == {"200": 594, "500": 6, "socket read": 4}
    assert outcome["error_rate"] == round(10 / 604, 4)


def test_wrk_without_a_result_line_is_an_error_not_an_empty_step():
    with pytest.raises(RuntimeError, match="no result line"):
        loadtest.parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_the_generator_is_wrk_when_installed_and_python_threads_otherwise(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    assert loadtest.choose_generator("auto") == "wrk"
    assert loadtest.choose_generator("python") == "python"
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert loadtest.choose_generator("auto") == "python"
    with pytest.raises(RuntimeError, match="apt-get install wrk"):
        loadtest.choose_generator("wrk")
    with pytest.raises(ValueError):
        loadtest.choose_generator("locust")


def test_capacity_is_the_busiest_step_within_the_latency_and_error_targets():
    steps = [
        {"users": 10, "ops_per_s": 200.0, "p50_ms": 40, "p95_ms": 90, "p99_ms": 99},
        {"users": 50, "ops_per_s": 320.0, "p50_ms": 120, "p95_ms": 240, "p99_ms": 300},
        {"users": 100, "ops_per_s": 330.0, "p50_ms": 300, "p95_ms": 500, "p99_ms": 600},
        {"users": 200, "ops_per_s": 400.0, "p50_ms": 10, "p95_ms": 20, "p99_ms": 30},
    ]
    for step in steps:
        step["error_rate"] = 0.5 if step["users"] == 200 else 0.0
    row = loadtest.capacity(steps, "sqlite")
    assert (row["users"], row["ops_per_s"], row["pass"]) == (50, 320.0, True)
    steps[1]["p95_ms"] = 260
    assert loadtest.capacity(steps, "sqlite")["pass"] is False


# --- both generators against a small HTTP server on loopback -----------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, str, bytes]] = []

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        authorization = self.headers.get("Authorization", "")
        self.seen.append((self.command, self.path, authorization, body))
        status = 200 if authorization else 401
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.send_header("Connection", "close")  # as gunicorn's sync workers answer
        # The generator's time can run out mid-request: it closes without reading the answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.end_headers()
            self.wfile.write(b"{}")

    do_GET = do_PATCH = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[int, list[tuple[str, str, str, bytes]]]]:
    seen: list[tuple[str, str, str, bytes]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer((loadtest.LOOPBACK, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def _mix() -> list[VirtualUser]:
    anonymous = VirtualUser({}, [("GET", "/anonymous", None)])
    return [_case_manager("a", survivors=9), _case_manager("b", survivors=9), anonymous]


def _check_step(outcome: dict, seen: list[tuple[str, str, str, bytes]]) -> None:
    assert outcome["requests"] > 0
    assert set(outcome["statuses"]) == {"200", "401"}
    assert 0 < outcome["error_rate"] < 1
    patches = [body for method, _path, _auth, body in seen if method == "PATCH"]
    assert patches
    assert all(json.loads(body)["pronouns"] for body in patches)
    assert {auth for method, path, auth, _body in seen if path == "/anonymous"} == {""}
    assert {auth for _method, path, auth, _body in seen if path.startswith("/survivors/")} == {
        "Bearer a",
        "Bearer b",
    }


def test_python_threads_step_sends_the_mix_and_counts_statuses(recorder):
    port, seen = recorder
    outcome = loadtest.run_step(port, _mix(), seconds=0.5)
    _check_step(outcome, seen)


@needs_wrk
def test_wrk_step_sends_the_mix_with_headers_and_bodies_and_counts_statuses(recorder):
    port, seen = recorder
    outcome = loadtest.run_wrk_step(port, _mix(), seconds=1)
    _check_step(outcome, seen)
    assert outcome["requests"] <= len(seen)  # wrk stops with requests in flight


# --- server CPU per request ---------------------------------------------------------------

needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="no /proc")


@needs_proc
def test_cpu_seconds_grow_with_work_and_are_zero_for_a_gone_process():
    before = loadtest.cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert loadtest.cpu_seconds(os.getpid()) >= before + 0.1
    assert loadtest.cpu_seconds(2**22 + 1) == 0.0  # above Linux's largest pid


@needs_proc
def test_the_process_tree_holds_the_servers_workers():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        tree = loadtest.process_tree(os.getpid())
        assert tree[0] == os.getpid()
        assert child.pid in tree
    finally:
        child.kill()
        child.wait()


def test_cpu_per_request_splits_app_and_database_and_counts_new_processes_from_zero():
    before = {10: 1.0, 11: 2.0, 50: 3.0}
    after = {10: 1.5, 11: 2.5, 12: 0.25, 50: 3.5}  # 12: a worker started during the step

    cost = loadtest.cpu_per_request(before, after, 100, app_pids={10, 11, 12})

    assert cost == {"app_cpu_ms": 12.5, "database_cpu_ms": 5.0}
    assert loadtest.cpu_per_request(before, after, 0, app_pids={10}) is None
    assert loadtest.cpu_per_request(before, {}, 100, app_pids={10}) is None


@pytest.mark.django_db
def test_database_backends_are_postgresql_pids_only():
    from django.db import connection

    backends = loadtest.database_backends()
    assert all(isinstance(pid, int) for pid in backends)
    if connection.vendor == "sqlite":
        assert backends == []
