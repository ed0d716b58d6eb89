"""Overload: `minimal` offered 2 and 5 times its capacity open-loop, then 2,000 connections.

Probes and scrapes are sent throughout, and the time back to normal latency is measured after.

Capacity is what wrk's 50 connections get answered 200 per second on the same process, the
better of a measurement before the overload and one after. The load generator runs on the same
machine and takes CPU from the service: on two cores, every figure here is the service and its
load sharing them.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.openloop import OpenLoopFigures, build_generator, run_open_loop
from bench.servers import RunningTarget, running_target
from bench.targets import BuiltTarget

CAPACITY_CONNECTIONS = 50
OPEN_LOOP_CONNECTIONS = 1000
CLOSED_LOOP_CONNECTIONS = 2000
PROBE_PATHS = ("/health/live", "/health/ready", "/metrics")
PROBE_INTERVAL_SECONDS = 0.1
# Back to normal: this many requests in a row, one at a time, each as fast as before the load.
RECOVERY_STREAK = 20
RECOVERY_DEADLINE_SECONDS = 30.0
QUIET_REQUESTS = 200

# Counts wrk's answers by status across its threads (wrk alone reports only "non-2xx").
STATUS_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do io.write(string.format("STATUS %d %d\\n", status, count)) end
  local e = summary.errors
  io.write(string.format("ERRORS %d\\n", e.connect + e.read + e.write + e.timeout))
  io.write(string.format("TIMEOUTS %d\\n", e.timeout))
  io.write(string.format("P99_MS %.1f\\n", latency:percentile(99) / 1000))
end
"""


@dataclass(frozen=True)
class ClosedLoopFigures:
    """One wrk window: answers by status, socket errors, p99 of all answers."""

    connections: int
    seconds: float
    statuses: dict[int, int]
    errors: int
    timeouts: int
    p99_ms: float

    @property
    def ok_per_second(self) -> float:
        """2xx answers per second."""
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300) / self.seconds


def closed_loop(
    port: int, path: str, *, connections: int, seconds: float, script: Path
) -> ClosedLoopFigures:
    """One window of wrk -t1 with the status-counting script."""
    completed = subprocess.run(
        [
            *("wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"),
            *("--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}{path}"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    out = completed.stdout
    found = {
        key: re.search(rf"^{key} ([\d.]+)$", out, re.MULTILINE) for key in ("ERRORS", "P99_MS")
    }
    timeouts = re.search(r"^TIMEOUTS (\d+)$", out, re.MULTILINE)
    if found["ERRORS"] is None or found["P99_MS"] is None or timeouts is None:
        msg = f"cannot parse wrk's output:\n{out}"
        raise ValueError(msg)
    return ClosedLoopFigures(
        connections=connections,
        seconds=float(max(1, round(seconds))),
        statuses={int(s): int(n) for s, n in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)},
        errors=int(found["ERRORS"][1]),
        timeouts=int(timeouts[1]),
        p99_ms=float(found["P99_MS"][1]),
    )


class Prober(threading.Thread):
    """Probes and scrapes, one every 100 ms in turn, each on a new connection as kubelet does."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.answers: list[tuple[str, int, float]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        """Probe until stopped."""
        turn = 0
        while not self._halt.is_set():
            path = PROBE_PATHS[turn % len(PROBE_PATHS)]
            turn += 1
            started = time.monotonic()
            status = _get_status(self.port, path, timeout=5.0)
            self.answers.append((path, status, (time.monotonic() - started) * 1000))
            self._halt.wait(PROBE_INTERVAL_SECONDS)

    def stop(self) -> dict[str, Any]:
        """Stop; the figures: how many, how many not 200, the slowest (ms)."""
        self._halt.set()
        self.join(timeout=10)
        return {
            "probes": len(self.answers),
            "not_200": sum(1 for _, status, _ in self.answers if status != 200),
            "max_ms": round(max((ms for _, _, ms in self.answers), default=0.0), 1),
        }


def _get_status(port: int, path: str, *, timeout: float) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException):
        return 0
    else:
        return response.status
    finally:
        connection.close()


@contextlib.contextmanager
def probed(port: int) -> Iterator[dict[str, Any]]:
    """Probe the service while the body runs; the figures land in the yielded dict."""
    prober = Prober(port)
    prober.start()
    figures: dict[str, Any] = {}
    try:
        yield figures
    finally:
        figures.update(prober.stop())


def sequential_latencies_ms(port: int, path: str, count: int) -> list[tuple[int, float]]:
    """`count` requests one after another on one kept-alive connection: (status, ms)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    answers = []
    try:
        for _ in range(count):
            started = time.monotonic()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            answers.append((response.status, (time.monotonic() - started) * 1000))
    finally:
        connection.close()
    return answers


def seconds_to_normal(port: int, path: str, normal_ms: float) -> float:
    """From now until RECOVERY_STREAK requests in a row answer 200 within normal_ms."""
    started = time.monotonic()
    streak = 0
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        while time.monotonic() - started < RECOVERY_DEADLINE_SECONDS:
            sent = time.monotonic()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                status = 0
            good = status == 200 and (time.monotonic() - sent) * 1000 <= normal_ms
            streak = streak + 1 if good else 0
            if streak == RECOVERY_STREAK:
                return time.monotonic() - started
    finally:
        connection.close()
    return float("inf")


@dataclass
class OverloadResult:
    """Every window of one target's turn."""

    name: str
    capacity_rps: float
    quiet_median_ms: float
    open_loop: list[dict[str, Any]] = field(default_factory=list)
    closed_loop: dict[str, Any] = field(default_factory=dict)
    recovery_seconds: float = float("nan")


def _open_loop_row(
    figures: OpenLoopFigures, capacity: float, probes: dict[str, Any]
) -> dict[str, Any]:
    return {
        **asdict(figures),
        "ok_per_second": figures.ok_per_second,
        "offered_multiple": round(figures.rate / capacity, 2),
        "goodput_share": figures.ok_per_second / capacity,
        "probes": probes,
    }


def measure_target(
    target: BuiltTarget,
    generator: Path,
    *,
    seconds: float,
    multiples: Sequence[float],
    progress: Callable[[str], None],
) -> OverloadResult:
    """One fresh process: capacity, each open-loop multiple, 2,000 closed-loop connections."""
    script = target.directory / ".bench-statuses.lua"
    script.write_text(STATUS_SCRIPT, encoding="utf-8")
    with running_target(target) as running:
        path = target.prepare_route(running.port)
        quiet = [ms for status, ms in sequential_latencies_ms(running.port, path, QUIET_REQUESTS)]
        warm = closed_loop(
            running.port, path, connections=CAPACITY_CONNECTIONS, seconds=2, script=script
        )
        del warm
        capacity = closed_loop(
            running.port, path, connections=CAPACITY_CONNECTIONS, seconds=seconds, script=script
        ).ok_per_second
        result = OverloadResult(target.name, capacity, statistics.median(quiet))
        progress(f"  {target.name}: capacity {capacity:,.0f} req/s")
        for multiple in multiples:
            with probed(running.port) as probes:
                figures = run_open_loop(
                    generator,
                    running.port,
                    path,
                    rate=multiple * capacity,
                    seconds=seconds,
                    connections=OPEN_LOOP_CONNECTIONS,
                )
            row = _open_loop_row(figures, capacity, probes)
            result.open_loop.append(row)
            progress(
                f"  {target.name}: {multiple:g}x open-loop: goodput {row['goodput_share']:.0%}, "
                f"p99 200 {figures.ok_ms.get('99', float('nan')):.1f} ms, "
                f"p99 503 {figures.refused_ms.get('99', float('nan')):.1f} ms, "
                f"errors {figures.connection_errors}, timeouts {figures.timeouts}"
            )
            _settle(running, path)
        with probed(running.port) as probes:
            closed = closed_loop(
                running.port,
                path,
                connections=CLOSED_LOOP_CONNECTIONS,
                seconds=seconds,
                script=script,
            )
        normal_ms = max(3 * result.quiet_median_ms, 5.0)
        result.recovery_seconds = seconds_to_normal(running.port, path, normal_ms)
        # Other users of the cores come and go: capacity is the better of a measurement before
        # the overload and one after, so that no share is flattered by a slow one.
        again = closed_loop(
            running.port, path, connections=CAPACITY_CONNECTIONS, seconds=seconds, script=script
        ).ok_per_second
        if again > capacity:
            capacity = result.capacity_rps = again
            for row in result.open_loop:
                row["goodput_share"] = row["ok_per_second"] / capacity
        result.closed_loop = {
            **asdict(closed),
            "goodput_share": closed.ok_per_second / capacity,
            "probes": probes,
        }
        progress(
            f"  {target.name}: {CLOSED_LOOP_CONNECTIONS} closed-loop: goodput "
            f"{closed.ok_per_second / capacity:.0%}, back to normal in "
            f"{result.recovery_seconds:.2f} s"
        )
    return result


def _settle(running: RunningTarget, path: str) -> None:
    """Wait until the service answers normally again before the next window."""
    seconds_to_normal(running.port, path, normal_ms=50.0)


def measure_overload(
    targets: Sequence[BuiltTarget],
    scratch: Path,
    *,
    seconds: float,
    rounds: int,
    multiples: Sequence[float] = (2.0, 5.0),
    progress: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Every target in turn, `rounds` times (A B, A B, …), each turn on a fresh process."""
    generator = build_generator(scratch)
    results = []
    for round_index in range(rounds):
        for target in targets:
            progress(f"overload round {round_index + 1}: {target.name}")
            result = measure_target(
                target, generator, seconds=seconds, multiples=multiples, progress=progress
            )
            results.append({"round": round_index + 1, **asdict(result)})
    return results
