"""Overload against the generated `minimal` preset: measure its capacity, drive it far past it,
and check that it sheds the excess (503 + Retry-After) instead of slowing down for everyone.

wrk is closed-loop (each connection waits for its answer), so the overload is offered as 20 times
the connections that saturate the service; a separate client, one request at a time, measures
what a caller sees meanwhile. The machine's cores are shared with the rest of the suite, so the
bounds are generous and relative where they can be.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.generated import (
    InstalledPreset,
    Service,
    installed_preset,
    record_figure,
    request,
    running_service,
    service_environment,
)

pytestmark = pytest.mark.slow

ORDER = {"customerId": "customer-42", "items": [{"sku": "SKU-1", "quantity": 2}]}
CAPACITY_CONNECTIONS = 50
OVERLOAD_CONNECTIONS = 20 * CAPACITY_CONNECTIONS
# A loopback request costs tens of microseconds, so the event loop falls this far behind only
# when requests queue: 50 saturating connections keep its mean delay at a few milliseconds,
# 1,000 push it past this. By Little's law the delay follows connections / throughput, so the
# faster the service, the more connections it takes: 500 stopped being enough when the access
# line got cheaper. 10 ms is the lowest the config accepts; production keeps the documented
# default (1000 ms).
SHED_AT_EVENT_LOOP_DELAY_MS = 10

# Counts answers by status, and 503s without Retry-After, across wrk's threads.
STATUS_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {}; no_retry_after = 0 end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 503 and headers["Retry-After"] == nil and headers["retry-after"] == nil then
    no_retry_after = no_retry_after + 1
  end
end
function done(summary, latency, requests)
  local total, missing = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
    missing = missing + thread:get("no_retry_after")
  end
  for status, count in pairs(total) do io.write(string.format("STATUS %d %d\\n", status, count)) end
  io.write(string.format("NO_RETRY_AFTER %d\\n", missing))
  io.write(string.format("P99_MS %.1f\\n", latency:percentile(99) / 1000))
end
"""


@dataclass(frozen=True)
class WrkResult:
    statuses: dict[int, int]
    no_retry_after: int
    p99_ms: float
    seconds: float

    def rate(self, *statuses: int) -> float:
        return sum(self.statuses.get(status, 0) for status in statuses) / self.seconds


def _wrk(url: str, script: Path, *, connections: int, seconds: int) -> WrkResult:
    completed = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    statuses = {
        int(status): int(count)
        for status, count in re.findall(r"^STATUS (\d+) (\d+)$", completed.stdout, re.MULTILINE)
    }
    missing = re.search(r"^NO_RETRY_AFTER (\d+)$", completed.stdout, re.MULTILINE)
    p99 = re.search(r"^P99_MS ([\d.]+)$", completed.stdout, re.MULTILINE)
    assert missing, completed.stdout
    assert p99, completed.stdout
    return WrkResult(statuses, int(missing.group(1)), float(p99.group(1)), float(seconds))


class Caller(threading.Thread):
    """One request at a time, 20 per second, on a kept-alive connection: what a client sees."""

    def __init__(self, port: int, path: str) -> None:
        super().__init__()
        self._port, self._path = port, path
        self._halt = threading.Event()
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        self._connection.connect()
        self.answers: list[tuple[int, float, bool]] = []

    def run(self) -> None:
        while not self._halt.is_set():
            started = time.monotonic()
            try:
                self._connection.request("GET", self._path)
                response = self._connection.getresponse()
                response.read()
                status, retry_after = response.status, response.getheader("retry-after") is not None
            except (OSError, http.client.HTTPException):
                self._connection.close()
                status, retry_after = 0, False
            self.answers.append((status, time.monotonic() - started, retry_after))
            self._halt.wait(0.05)
        self._connection.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=30)

    def latencies(self, status: int) -> list[float]:
        return sorted(seconds for code, seconds, _ in self.answers if code == status)


class RssSampler(threading.Thread):
    def __init__(self, service: Service) -> None:
        super().__init__()
        self._service = service
        self._halt = threading.Event()
        self.peak_kib = 0

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak_kib = max(self.peak_kib, self._service.rss_kib())
            self._halt.wait(0.1)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)


def _create_order(port: int) -> dict[str, str]:
    deadline = time.monotonic() + 10
    while (created := request(port, "POST", "/orders", body=ORDER)).status != 201:
        assert time.monotonic() < deadline, created.body
        time.sleep(0.2)
    order: dict[str, str] = created.json()
    return order


def _median(values: list[float]) -> float:
    return values[len(values) // 2] if values else float("inf")


def _p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(0.99 * len(values)))] if values else 0.0


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> InstalledPreset:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is missing: `apt-get install -y wrk` (.ci/run installs it)")

    return installed_preset("minimal", tmp_path_factory)


class TestMinimalPresetOverload:
    def test_twenty_times_the_saturating_load_is_shed_with_503_and_latency_recovers(
        self, minimal: InstalledPreset, tmp_path: Path
    ) -> None:
        script = tmp_path / "statuses.lua"
        script.write_text(STATUS_SCRIPT, encoding="utf-8")
        env = service_environment(minimal.path, {})
        env.update(
            {
                "RATE_LIMIT_MAX": "1000000000",
                "OVERLOAD_MAX_EVENT_LOOP_DELAY_MS": str(SHED_AT_EVENT_LOOP_DELAY_MS),
            }
        )
        with running_service(minimal.path, env) as service:
            # The first second after boot can count as pressure (startup work delays the loop).
            order = _create_order(service.port)
            path = f"/orders/{order['id']}"
            url = f"http://127.0.0.1:{service.port}{path}"
            idle_rss = service.rss_kib()
            quiet = Caller(service.port, path)
            quiet.start()
            time.sleep(1.5)
            quiet.stop()

            capacity = _wrk(url, script, connections=CAPACITY_CONNECTIONS, seconds=3)

            caller, rss = Caller(service.port, path), RssSampler(service)
            caller.start()
            rss.start()
            overload = _wrk(url, script, connections=OVERLOAD_CONNECTIONS, seconds=5)
            caller.stop()
            rss.stop()

            burst_ended = time.monotonic()
            recovered_in = float("inf")
            # The median, not the p99: other processes share these cores, and one of their
            # pauses must not read as the service still being behind.
            normal = max(3 * _median(quiet.latencies(200)), 0.05)
            while time.monotonic() - burst_ended < 15:
                batch = [request(service.port, "GET", path) for _ in range(10)]
                if all(r.status == 200 for r in batch):
                    after = Caller(service.port, path)
                    after.start()
                    time.sleep(1)
                    after.stop()
                    if {code for code, _, _ in after.answers} == {200} and (
                        _median(after.latencies(200)) <= normal
                    ):
                        recovered_in = time.monotonic() - burst_ended - 1
                        break
                time.sleep(0.2)
            alive = service.process.poll() is None

        accepted = caller.latencies(200)
        record_figure(
            "minimal: capacity (GET /orders/:id, 50 connections, 200/s)",
            round(capacity.rate(200)),
        )
        record_figure(
            f"minimal: overload ({OVERLOAD_CONNECTIONS} connections): 200/s, 503/s, other",
            f"{overload.rate(200):.0f}, {overload.rate(503):.0f},"
            f" {sum(c for s, c in overload.statuses.items() if s not in (200, 503))}",
        )
        record_figure(
            "minimal: caller during overload (200 p99 / 503 p99 ms, answers 200:503)",
            f"{_p99(accepted) * 1000:.0f} / {_p99(caller.latencies(503)) * 1000:.0f},"
            f" {len(accepted)}:{len(caller.latencies(503))}",
        )
        record_figure(
            "minimal: RSS idle / peak under overload (MiB)",
            f"{idle_rss / 1024:.0f} / {rss.peak_kib / 1024:.0f}",
        )
        record_figure("minimal: back to normal latency after the burst (s)", round(recovered_in, 2))
        slowest = sorted(caller.answers, key=lambda answer: answer[1])[-5:]
        figures = (
            f"capacity {capacity}, overload {overload}, slowest caller answers {slowest},"
            f" rss peak {rss.peak_kib} KiB, recovered in {recovered_in} s, normal {normal} s"
        )
        assert set(overload.statuses) <= {200, 503}, figures
        assert overload.statuses.get(503, 0) > 0, f"nothing was shed: {figures}"
        assert overload.no_retry_after == 0, figures
        assert {code for code, _, _ in caller.answers} <= {200, 503}, figures
        assert all(retry_after for code, _, retry_after in caller.answers if code == 503), figures
        # Nobody waits long: an answer, accepted or refused, comes within 2 s (p99), and an
        # accepted one within 1 s. Goodput is recorded, not asserted: wrk retries at once where
        # real clients honour Retry-After, so its refusals alone keep the event loop behind.
        assert _p99(accepted) < 1.0, figures
        assert _p99(sorted(seconds for _, seconds, _ in caller.answers)) < 2.0, figures
        assert rss.peak_kib < 512 * 1024, figures
        assert recovered_in <= 8, figures
        assert alive, figures
