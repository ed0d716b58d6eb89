"""Outbound dependency failing (issues 8 and 20.6): the bff preset's catalog client against a fake
upstream.

The generated service runs for real (built, `node dist/server.js`) with CATALOG_URL pointing at a
threading HTTP server in this process, whose behaviour the test switches: healthy → hanging →
healthy; some SKUs fail (500) or are refused (422) whatever the behaviour. Small settings keep it
fast: 200 ms per attempt, 2 retries, the circuit opens when more than half of the last 10 calls
failed once 4 were made (so 3 timed-out calls after a healthy one open it), 1 s before the
half-open probe.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.generated import (
    BootedPreset,
    Response,
    Service,
    installed_preset,
    preset_service,
    record_figure,
    request,
    wait_for_log_line,
)

pytestmark = pytest.mark.slow

TIMEOUT_MS = 200
RETRIES = 2
WINDOW_CALLS = 10
MINIMUM_CALLS = 4
# Failed calls after one healthy call that open the circuit: 3 of 4 is more than half.
FAILURE_THRESHOLD = 3
RESET_MS = 1000
ATTEMPTS = RETRIES + 1
# Full-jitter backoff waits at most 100 ms, then 200 ms, between the attempts.
MAX_BACKOFF_MS = 300
PRODUCT = {"sku": "SKU-1", "name": "Espresso cup", "priceCents": 1250, "currency": "EUR"}
# SKUs the catalog fails on (one broken record) and refuses (our request is wrong) while healthy.
BROKEN_PREFIX = "/products/BROKEN-"
REFUSED_PREFIX = "/products/REFUSED-"


class FakeCatalog:
    """The product catalog upstream: counts requests and answers as `behaviour` says."""

    def __init__(self) -> None:
        self.behaviour = "healthy"
        self.hits = 0
        self._lock = threading.Lock()
        # Hanging handlers wait on this; setting it lets their threads finish.
        self.release = threading.Event()
        catalog = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with catalog._lock:
                    catalog.hits += 1
                if catalog.behaviour == "hanging":
                    catalog.release.wait(timeout=30)
                    return
                known = self.path == f"/products/{PRODUCT['sku']}"
                status = 200 if known else 404
                if self.path.startswith(BROKEN_PREFIX):
                    status = 500
                elif self.path.startswith(REFUSED_PREFIX):
                    status = 422
                body = json.dumps(PRODUCT if known else {"error": "not found"}).encode()
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def switch(self, behaviour: str) -> None:
        self.behaviour = behaviour
        if behaviour == "hanging":
            self.release.clear()
        else:
            self.release.set()


@pytest.fixture(scope="module")
def catalog() -> Iterator[FakeCatalog]:
    fake = FakeCatalog()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        fake.server.shutdown()
        fake.server.server_close()


@pytest.fixture(scope="module")
def booted(
    tmp_path_factory: pytest.TempPathFactory, catalog: FakeCatalog
) -> Iterator[BootedPreset]:
    preset = installed_preset("bff", tmp_path_factory)
    env = {
        "CATALOG_URL": catalog.url,
        "CATALOG_TIMEOUT_MS": str(TIMEOUT_MS),
        "CATALOG_RETRIES": str(RETRIES),
        "CATALOG_BREAKER_FAILURE_RATE": "50",
        "CATALOG_BREAKER_WINDOW_CALLS": str(WINDOW_CALLS),
        "CATALOG_BREAKER_MINIMUM_CALLS": str(MINIMUM_CALLS),
        "CATALOG_BREAKER_RESET_MS": str(RESET_MS),
        # Load shedding has its own test; on a busy CI machine its 503s must not stand in for
        # the circuit's.
        "OVERLOAD_MAX_EVENT_LOOP_DELAY_MS": "5000",
        # The test reads readiness right after the circuit changes, within a cache period.
        "READINESS_CACHE_MS": "0",
    }
    with preset_service(preset, label="outbound-resilience", env=env) as service:
        yield service


def timed_get(service: Service, path: str, headers: dict[str, str]) -> tuple[Response, float]:
    """One GET and its latency in milliseconds."""
    started = time.perf_counter()
    response = request(service.port, "GET", path, headers=headers, timeout=10)
    return response, (time.perf_counter() - started) * 1000


def circuit_state(service: Service) -> float:
    scraped = request(service.port, "GET", "/metrics").body.decode()
    for family in text_string_to_metric_families(scraped):
        for sample in family.samples:
            if sample.name == "upstream_circuit_state" and sample.labels == {"upstream": "catalog"}:
                return sample.value
    raise AssertionError("upstream_circuit_state{upstream='catalog'} is not exported")


def test_a_hanging_catalog_times_out_opens_the_circuit_and_a_half_open_probe_recovers(
    booted: BootedPreset, catalog: FakeCatalog
) -> None:
    running, auth = booted.service, booted.headers
    product_path = f"/products/{PRODUCT['sku']}"

    # Healthy: one request, one upstream hit.
    healthy, _ = timed_get(running, product_path, auth)
    assert healthy.status == 200, healthy.body
    assert healthy.json() == PRODUCT
    assert catalog.hits == 1

    # Hanging: each call spends every attempt's timeout, then answers 504.
    catalog.switch("hanging")
    timed_out = [timed_get(running, product_path, auth) for _ in range(FAILURE_THRESHOLD)]
    opened_at = time.monotonic()
    hits_when_opened = catalog.hits
    statuses = [response.status for response, _ in timed_out]
    latencies = [latency for _, latency in timed_out]
    record_figure("outbound hanging: 504 after (ms, each call)", [round(x) for x in latencies])

    assert statuses == [504] * FAILURE_THRESHOLD, [r.body for r, _ in timed_out]
    assert all(r.json()["type"] == "urn:problem-type:upstream-timeout" for r, _ in timed_out)
    # The answer keeps our timeout and retries to itself; the log has them.
    assert all(str(TIMEOUT_MS) not in r.json()["detail"] for r, _ in timed_out)
    assert all("attempt" not in r.json()["detail"] for r, _ in timed_out)
    logged = wait_for_log_line(running, lambda line: line.get("msg") == "catalog call timed out")
    assert (logged["timeoutMs"], logged["attempts"]) == (TIMEOUT_MS, ATTEMPTS)
    assert hits_when_opened == 1 + FAILURE_THRESHOLD * ATTEMPTS
    for latency in latencies:
        assert TIMEOUT_MS * ATTEMPTS <= latency < TIMEOUT_MS * ATTEMPTS + MAX_BACKOFF_MS + 400

    # Open: calls fail fast with 503 + Retry-After and never reach the catalog.
    fast = [timed_get(running, product_path, auth) for _ in range(20)]
    fast_latencies = sorted(latency for _, latency in fast)
    ready = request(running.port, "GET", "/health/ready")
    state_while_open = circuit_state(running)
    median, slowest = fast_latencies[len(fast_latencies) // 2], fast_latencies[-1]
    record_figure(
        "outbound circuit open: 503 latency median / max (ms)",
        [round(median, 1), round(slowest, 1)],
    )
    record_figure(
        "outbound circuit open: upstream hits during 20 calls", catalog.hits - hits_when_opened
    )

    assert [response.status for response, _ in fast] == [503] * 20
    assert {response.headers["retry-after"] for response, _ in fast} == {"1"}
    # Client round trip included; the max only has to stay clear of a single attempt's timeout,
    # which proves no call waited for the catalog (a loaded CI machine adds outliers).
    assert median < 50
    assert slowest < TIMEOUT_MS
    assert catalog.hits == hits_when_opened
    assert ready.status == 200, ready.body
    # In production the body names the check and its state; the reason is in the log.
    assert ready.json()["checks"]["catalog"] == {"status": "failed"}
    failing = wait_for_log_line(
        running,
        lambda line: (line.get("msg"), line.get("check")) == ("readiness check failing", "catalog"),
    )
    assert "circuit open" in failing["error"]
    assert state_while_open == 2

    # Recovered upstream: after the reset time one half-open probe closes the circuit.
    catalog.switch("healthy")
    time.sleep(max(0.0, RESET_MS / 1000 - (time.monotonic() - opened_at)) + 0.05)
    hits_before_probe = catalog.hits
    probe, probe_latency = timed_get(running, product_path, auth)
    open_for_ms = (time.monotonic() - opened_at) * 1000
    after, _ = timed_get(running, product_path, auth)
    ready_after = request(running.port, "GET", "/health/ready")
    record_figure("outbound recovery: half-open probe latency (ms)", round(probe_latency, 1))
    record_figure("outbound recovery: circuit opened to first 200 (ms)", round(open_for_ms))

    assert probe.status == 200, probe.body
    assert after.status == 200
    assert catalog.hits == hits_before_probe + 2
    assert ready_after.json()["checks"]["catalog"]["status"] == "ok"
    assert circuit_state(running) == 0


def test_a_few_failing_skus_and_refused_requests_leave_the_circuit_closed_for_everyone(
    booted: BootedPreset, catalog: FakeCatalog
) -> None:
    running, auth = booted.service, booted.headers
    product_path = f"/products/{PRODUCT['sku']}"
    catalog.switch("healthy")
    # Whatever the test before left: past the reset time the first call is a probe that closes it.
    time.sleep(RESET_MS / 1000 + 0.05)
    healthy = [timed_get(running, product_path, auth)[0].status for _ in range(WINDOW_CALLS)]

    # Before: 3 (the old CATALOG_BREAKER_FAILURE_THRESHOLD here) of these opened the circuit.
    broken = [timed_get(running, f"{BROKEN_PREFIX}{n}", auth)[0] for n in range(MINIMUM_CALLS)]
    refused = [timed_get(running, f"{REFUSED_PREFIX}{n}", auth)[0] for n in range(WINDOW_CALLS)]
    state = circuit_state(running)
    after, _ = timed_get(running, product_path, auth)
    record_figure(
        "outbound: circuit state after 4 failing SKUs among 10 good reads and 10 refused requests",
        state,
    )

    assert healthy == [200] * WINDOW_CALLS
    assert [response.status for response in broken] == [502] * MINIMUM_CALLS
    assert [response.status for response in refused] == [502] * WINDOW_CALLS
    assert state == 0
    assert after.status == 200, after.body
