"""Hostile HTTP clients against the generated `minimal` preset on loopback (issue 20: 1, 2, 5).

Each test boots the built service with the flags its container uses and measures what an attack
costs it: memory held by stalled uploads, a store filled by a single client, CPU taken by deeply
nested bodies, and what a well-behaved client sees meanwhile. The figures go to the run summary.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.generated import (
    InstalledPreset,
    Service,
    installed_preset,
    json_lines,
    record_figure,
    request,
    running_service,
    service_environment,
    wait_for_log_line,
)

pytestmark = pytest.mark.slow

# The flags of the container's CMD (and `npm start`): V8's young generation fixed at 4 MiB.
PRODUCTION_NODE_ARGS = ("--max-semi-space-size=4",)
ORDER = {"customerId": "customer-1", "items": [{"sku": "SKU-1", "quantity": 1}]}


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> InstalledPreset:
    return installed_preset("minimal", tmp_path_factory)


@contextlib.contextmanager
def booted(preset: InstalledPreset, **env: str) -> Iterator[Service]:
    environment = service_environment(preset.path, {})
    environment.update({"RATE_LIMIT_MAX": "1000000000", **env})
    with running_service(preset.path, environment, node_args=PRODUCTION_NODE_ARGS) as service:
        # A process that just started on a busy machine may shed load (503) for a moment.
        deadline = time.monotonic() + 15
        while request(service.port, "GET", "/orders").status == 503:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        yield service


# A well-behaved client in a process of its own, so the attack's threads never delay its timing:
# GET /orders every 50 ms on a fresh connection until stdin closes, then the timings as JSON.
PROBE_SCRIPT = """
import http.client, json, sys, threading, time
port, answers, done = int(sys.argv[1]), [], threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
while not done.is_set():
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/orders?limit=1")
        response = connection.getresponse()
        response.read()
        status = response.status
        connection.close()
    except (OSError, http.client.HTTPException):
        status = 0
    answers.append([status, time.perf_counter() - started])
    done.wait(0.05)
print(json.dumps(answers))
"""


class Prober:
    """Runs PROBE_SCRIPT against the service between start() and stop()."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._process: subprocess.Popen[str] | None = None
        self.answers: list[tuple[int, float]] = []

    def start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", PROBE_SCRIPT, str(self._port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> None:
        assert self._process is not None
        output, _ = self._process.communicate(input="", timeout=30)
        self.answers = [(int(status), float(seconds)) for status, seconds in json.loads(output)]

    def percentile(self, share: float) -> float:
        times = sorted(seconds for status, seconds in self.answers if status == 200)
        return times[min(len(times) - 1, int(share * len(times)))] if times else float("inf")


class Upload:
    """One attacking connection and what the server sent back on it."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.received = b""
        self.closed = False

    def poll(self) -> bool:
        """Read whatever arrived; whether the server still keeps the connection open."""
        if self.closed:
            return False
        self.connection.setblocking(False)
        try:
            while chunk := self.connection.recv(65536):
                self.received += chunk
            self.closed = True
        except BlockingIOError:
            pass
        except OSError:
            self.closed = True
        return not self.closed

    @property
    def status_line(self) -> str:
        return self.received.split(b"\r\n", 1)[0].decode(errors="replace")


class TestStalledBodies:
    def test_stalled_uploads_are_refused_or_timed_out_and_memory_stays_bounded(
        self, minimal: InstalledPreset
    ) -> None:
        connections, declared, sent = 300, 1_048_000, 1_000_000
        timeout_ms = 5_000
        with booted(minimal, REQUEST_TIMEOUT_MS=str(timeout_ms)) as service:
            idle_kib = service.rss_kib()
            prober = Prober(service.port)
            prober.start()
            head = (
                "POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {declared}\r\n\r\n"
            ).encode()
            body = b'{"customerId":"' + b"x" * (sent - 15)
            opened: list[Upload] = []
            lock = threading.Lock()

            def attack(count: int) -> None:
                for _ in range(count):
                    with contextlib.suppress(OSError):
                        connection = socket.create_connection(("127.0.0.1", service.port), 30)
                        with lock:
                            opened.append(Upload(connection))
                        connection.sendall(head + body)

            started = time.monotonic()
            attackers = [
                threading.Thread(target=attack, args=(connections // 10,)) for _ in range(10)
            ]
            for attacker in attackers:
                attacker.start()
            peak_kib = idle_kib
            while any(attacker.is_alive() for attacker in attackers):
                peak_kib = max(peak_kib, service.rss_kib())
                time.sleep(0.1)
            sent_after = time.monotonic() - started
            closed_after = float("inf")
            while time.monotonic() - started < sent_after + timeout_ms / 1000 + 20:
                peak_kib = max(peak_kib, service.rss_kib())
                if not [upload for upload in opened if upload.poll()]:
                    closed_after = time.monotonic() - started - sent_after
                    break
                time.sleep(0.2)
            prober.stop()
            answers = [upload.status_line for upload in opened]
            for upload in opened:
                upload.connection.close()
            after_kib = service.rss_kib()
            statuses = {line: answers.count(line) for line in set(answers)}
            served = [status for status, _ in prober.answers]

        figures = {
            "connections": len(opened),
            "rss MiB idle/peak/after": [idle_kib // 1024, peak_kib // 1024, after_kib // 1024],
            "uploads sent in s": round(sent_after, 1),
            "all closed after s (from the last upload)": round(closed_after, 1),
            "answers": statuses,
            "other client p50/p99 ms": [
                round(prober.percentile(0.5) * 1000, 1),
                round(prober.percentile(0.99) * 1000, 1),
            ],
            "other client answers": len(served),
        }
        record_figure("minimal: 300 stalled 1 MB uploads", figures)
        assert len(opened) == connections, figures
        # Every stalled upload was answered (503 at once, or 408 at its deadline) and closed.
        assert set(statuses) <= {
            "HTTP/1.1 408 Request Timeout",
            "HTTP/1.1 503 Service Unavailable",
        }, figures
        # A held upload is answered 408 at its deadline (Node checks them once a second).
        assert closed_after < timeout_ms / 1000 + 5, figures
        # 300 MB arrived; the service held a bounded share (BODY_BUFFER_LIMIT_BYTES, 32 MiB).
        assert peak_kib - idle_kib < 128 * 1024, figures
        assert peak_kib < 384 * 1024, figures
        assert served, figures
        assert set(served) == {200}, figures
        assert prober.percentile(0.5) < 0.1, figures


class TestMemoryStores:
    def test_a_full_order_store_answers_507_and_reports_its_fill(
        self, minimal: InstalledPreset
    ) -> None:
        capacity = 50
        with booted(minimal, ORDER_STORE_CAPACITY=str(capacity)) as service:
            idle_kib = service.rss_kib()
            statuses = [
                request(service.port, "POST", "/orders", body=ORDER).status for _ in range(60)
            ]
            refused = request(service.port, "POST", "/orders", body=ORDER)
            listed = request(service.port, "GET", "/orders?limit=100")
            metrics = request(service.port, "GET", "/metrics").body.decode()
            after_kib = service.rss_kib()

        record_figure(
            "minimal: order store of 50, 61 POSTs (201s, 507s, RSS MiB idle/after)",
            [statuses.count(201), statuses.count(507) + 1, idle_kib // 1024, after_kib // 1024],
        )
        assert statuses == [201] * capacity + [507] * 10
        assert refused.status == 507
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"] == "urn:problem-type:insufficient-storage"
        assert len(listed.json()["items"]) == capacity
        assert f'memory_store_entries{{store="orders"}} {capacity}' in metrics
        assert f'memory_store_capacity{{store="orders"}} {capacity}' in metrics


class TestDeepJson:
    def test_deeply_nested_bodies_are_refused_in_milliseconds_and_others_keep_their_latency(
        self, minimal: InstalledPreset
    ) -> None:
        depth = 500_000
        nested = b"[" * depth + b"]" * depth

        def post_nested(port: int) -> tuple[int, dict[str, Any]]:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request(
                    "POST", "/orders", body=nested, headers={"content-type": "application/json"}
                )
                response = connection.getresponse()
                return response.status, json.loads(response.read())
            finally:
                connection.close()

        with booted(minimal) as service:
            refusals = [post_nested(service.port) for _ in range(5)]
            last_id = refusals[-1][1]["requestId"]
            wait_for_log_line(service, lambda line: line.get("requestId") == last_id)
            ids = {body["requestId"] for _, body in refusals}
            # Server-side time from the request's first byte to its answer (the access line).
            server_ms = sorted(
                line["durationMs"]
                for line in json_lines(service.output())
                if line.get("requestId") in ids and "durationMs" in line
            )

            quiet = Prober(service.port)
            quiet.start()
            time.sleep(2)
            quiet.stop()
            halt = threading.Event()
            sent = [0]

            def attack() -> None:
                # Four connections' worth of 30 requests/s in all, as in the issue.
                while not halt.is_set():
                    began = time.monotonic()
                    with contextlib.suppress(OSError, http.client.HTTPException):
                        post_nested(service.port)
                        sent[0] += 1
                    halt.wait(max(0.0, 4 / 30 - (time.monotonic() - began)))

            attackers = [threading.Thread(target=attack, daemon=True) for _ in range(4)]
            for attacker in attackers:
                attacker.start()
            loaded = Prober(service.port)
            loaded.start()
            time.sleep(5)
            loaded.stop()
            halt.set()
            for attacker in attackers:
                attacker.join(timeout=15)

        figures = {
            "refusal server ms (5 tries)": server_ms,
            "attack req/s": round(sent[0] / 5, 1),
            "others p50 ms quiet/attacked": [
                round(quiet.percentile(0.5) * 1000, 1),
                round(loaded.percentile(0.5) * 1000, 1),
            ],
        }
        record_figure("minimal: 1 MB bodies nested 500k deep", figures)
        assert all(status == 400 for status, _ in refusals), refusals[:1]
        assert "nests deeper than 64 levels" in refusals[0][1]["detail"]
        assert len(server_ms) == len(refusals), figures
        assert server_ms[0] <= 10, figures
        assert sent[0] >= 50, figures
        assert {status for status, _ in loaded.answers} == {200}, figures
        assert loaded.percentile(0.5) < max(5 * quiet.percentile(0.5), 0.02), figures
