"""Overload against the generated `minimal` preset: measure its capacity, offer it twice that
open-loop, then 2,000 closed-loop connections, and check that it keeps serving most of its
capacity, refuses the excess with 503 + Retry-After and nothing else (no connection errors,
no closed-loop timeouts), answers probes and scrapes throughout and is back to normal latency
within 2 s.

The service runs with its shipped admission default; only the rate limit is lifted, so that one
client IP's load is measured. The load generator and the rest of the suite share the machine's
cores with the service, so the bounds below are what two shared cores can prove, each one
past what the previous load shedding achieved (recorded in the README's overload figures).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from bench.openloop import GeneratorUnavailableError, build_generator, run_open_loop
from bench.overload import (
    STATUS_SCRIPT,
    closed_loop,
    probed,
    seconds_to_normal,
    sequential_latencies_ms,
)

from tests.generated import (
    InstalledPreset,
    installed_preset,
    record_figure,
    request,
    running_service,
    service_environment,
)

pytestmark = pytest.mark.slow

ORDER = {"customerId": "customer-42", "items": [{"sku": "SKU-1", "quantity": 2}]}
CAPACITY_CONNECTIONS = 50
OPEN_LOOP_CONNECTIONS = 1000
CLOSED_LOOP_CONNECTIONS = 2000
WINDOW_SECONDS = 5

# What the previous shedding (a mean event-loop delay over 1 s past a threshold refusing every
# request) got: 22 % of capacity at 2,000 closed-loop connections on a quiet machine, 31 % with
# 8 projects' test runs sharing the 2 cores (load average 23). The admission control got 69-82 %
# on a quiet machine (bench, 2026-12-03 10:19) and 45 % at load average 9. The bound sits
# between the two, and it is the assertion that tells the two apart:
# - 2,000 closed-loop connections: 40 %. wrk sends again the moment it is refused, so the
#   refusals alone keep the loop busy; the service still serves in most of every turn.
MIN_CLOSED_LOOP_GOODPUT = 0.4
# - twice the capacity offered open-loop: 40 %, a floor against collapse. A refusal costs Node's
#   parsing and one write, 40-60 % of serving a request here, so a process offered twice what it
#   serves cannot answer every arrival: the generator's connections stay busy, the window's
#   answers keep coming for seconds after it, and goodput counts that time (54 % at load
#   average 9, where the generator takes CPU from the service).
MIN_OPEN_LOOP_GOODPUT = 0.4
# - probes: all but one answered 200 within 5 s in each window (the closed-loop window fits only
#   3 or 4). Each probe opens a new connection, as kubelet does, and on a starved machine one can
#   wait that long for the listening socket's turn behind 1,000-2,000 busy connections;
#   kubelet's default failureThreshold of 3 never acts on one missed probe.
MAX_PROBES_MISSED = 1
# The p99 of accepted requests is recorded, not asserted: measured from when each request was
# due, it includes the generator's own backlog, which grows whenever the answers (served and
# refused) lag the rate, as they do here at twice the capacity.
RECOVERY_SECONDS = 2.0


def _create_order(port: int) -> str:
    deadline = time.monotonic() + 10
    while (created := request(port, "POST", "/orders", body=ORDER)).status != 201:
        assert time.monotonic() < deadline, created.body
        time.sleep(0.2)
    order_id: str = created.json()["id"]
    return f"/orders/{order_id}"


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> InstalledPreset:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is missing: `apt-get install -y wrk` (.ci/run installs it)")
    return installed_preset("minimal", tmp_path_factory)


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return build_generator(tmp_path_factory.mktemp("openloop"))
    except GeneratorUnavailableError as error:
        pytest.fail(str(error))


class TestMinimalPresetOverload:
    def test_past_capacity_it_keeps_serving_refuses_the_excess_early_and_recovers(
        self, minimal: InstalledPreset, generator: Path, tmp_path: Path
    ) -> None:
        script = tmp_path / "statuses.lua"
        script.write_text(STATUS_SCRIPT, encoding="utf-8")
        env = service_environment(minimal.path, {})
        env["RATE_LIMIT_MAX"] = "1000000000"
        with running_service(minimal.path, env) as service:
            port = service.port
            path = _create_order(port)
            quiet = sorted(ms for _, ms in sequential_latencies_ms(port, path, 200))
            closed_loop(port, path, connections=CAPACITY_CONNECTIONS, seconds=1, script=script)
            capacity = closed_loop(
                port, path, connections=CAPACITY_CONNECTIONS, seconds=3, script=script
            ).ok_per_second

            with probed(port) as open_probes:
                offered = run_open_loop(
                    generator,
                    port,
                    path,
                    rate=2 * capacity,
                    seconds=WINDOW_SECONDS,
                    connections=OPEN_LOOP_CONNECTIONS,
                )
            seconds_to_normal(port, path, normal_ms=50.0)
            with probed(port) as closed_probes:
                closed = closed_loop(
                    port,
                    path,
                    connections=CLOSED_LOOP_CONNECTIONS,
                    seconds=WINDOW_SECONDS,
                    script=script,
                )
            normal_ms = max(3 * quiet[len(quiet) // 2], 5.0)
            recovered_in = seconds_to_normal(port, path, normal_ms)
            # The cores' other users come and go: capacity is the better of two measurements,
            # one before the overload and one after, so no share is flattered by a slow one.
            capacity = max(
                capacity,
                closed_loop(
                    port, path, connections=CAPACITY_CONNECTIONS, seconds=3, script=script
                ).ok_per_second,
            )
            alive = service.process.poll() is None

        open_goodput = offered.ok_per_second / capacity
        closed_goodput = closed.ok_per_second / capacity
        accepted_p99 = offered.ok_ms["99"]
        record_figure("minimal: capacity (GET /orders/:id, wrk -c50, 200/s)", round(capacity))
        record_figure(
            "minimal: 2x capacity open-loop: goodput, 200 p99 ms, 503 p99 ms",
            f"{open_goodput:.0%}, {accepted_p99:.1f}, {offered.refused_ms['99']:.1f}",
        )
        record_figure(
            f"minimal: {CLOSED_LOOP_CONNECTIONS} closed-loop connections: goodput",
            f"{closed_goodput:.0%}",
        )
        record_figure("minimal: back to normal latency after the load (s)", round(recovered_in, 2))
        figures = (
            f"capacity {capacity:.0f}/s, open loop {offered}, probes {open_probes};"
            f" closed loop {closed}, probes {closed_probes}; recovered in {recovered_in} s"
            f" (normal {normal_ms:.1f} ms)"
        )
        assert set(offered.statuses) <= {200, 503}, figures
        assert offered.refused > 0, f"twice the capacity offered and nothing refused: {figures}"
        assert offered.refused_without_retry_after == 0, figures
        assert offered.connection_errors == 0, figures
        assert open_goodput >= MIN_OPEN_LOOP_GOODPUT, figures
        assert set(closed.statuses) <= {200, 503}, figures
        assert closed.errors == closed.timeouts == 0, figures
        assert closed_goodput >= MIN_CLOSED_LOOP_GOODPUT, figures
        assert open_probes["probes"] > MAX_PROBES_MISSED, figures
        assert open_probes["not_200"] <= MAX_PROBES_MISSED, figures
        assert closed_probes["probes"] > MAX_PROBES_MISSED, figures
        assert closed_probes["not_200"] <= MAX_PROBES_MISSED, figures
        assert recovered_in <= RECOVERY_SECONDS, figures
        assert alive, figures
