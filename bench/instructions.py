"""Instructions per request under callgrind: the service's own CPU work, unmoved by steal time.

Requests per second on a shared VM also pay for the machine: when a server is slower than wrk,
wrk sleeps between answers and each response wakes it with an inter-processor interrupt, which
a VM makes expensive, so slow targets pay more per request than fast ones. Counting the
instructions the server process executes (every thread, userland only) over a fixed number of
sequential requests gives a figure independent of that and of steal time. Garbage collection
still moves it: V8 times part of its collection work by the clock, and targets that allocate a
lot counted more on a slower host and in runs that happened to include a full collection.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.servers import BootError, RunningTarget, running_target
from bench.stats import ratio
from bench.targets import BuiltTarget

BASELINE = "node-http"
# Under valgrind node starts and runs some 50 times slower.
READY_TIMEOUT_SECONDS = 240.0
REQUEST_TIMEOUT_SECONDS = 60.0
# valgrind names its control pipes after $USER and $HOST; the server and callgrind_control
# must agree on both (HOST is the service's bind address, set by the harness).
CONTROL_ENV = {"USER": "scaffold-bench", "HOST": "127.0.0.1"}
# Some 50 times slower, a preset's event loop can lag past its load-shedding limit (1 s) on a busy
# machine and answer 503 (seen for `api` beside two other callgrind runs). Shedding still checks
# every request, so the limit is raised out of the way, as the load run raises the rate limit.
SERVICE_ENV = {"OVERLOAD_MAX_EVENT_LOOP_DELAY_MS": "600000"}
# "   Th 1  240,841,713" per thread, under "Totals: Ir".
THREAD_TOTAL = re.compile(r"^\s*Th\s+\d+\s+([\d,]+)\s*$", re.MULTILINE)
INSTALL_HINT = "valgrind is not installed (apt-get install -y valgrind)"


@dataclass(frozen=True)
class InstructionCount:
    """Instructions per request of one target, or why it was not counted."""

    name: str
    label: str
    requests: int
    instructions_per_request: float | None
    failure: str | None = None


@dataclass(frozen=True)
class InstructionCounts:
    """Every target's count, each with its ratio to bare node:http."""

    warmup_requests: int
    measured_requests: int
    targets: list[InstructionCount]
    skipped_reason: str | None = None

    def ratios_to_baseline(self) -> dict[str, float]:
        """node:http's instructions per request over each target's: comparable to req/s ratios."""
        base = next((t for t in self.targets if t.name == BASELINE), None)
        if base is None or base.instructions_per_request is None:
            return {}
        return {
            target.name: ratio(base.instructions_per_request, target.instructions_per_request)
            for target in self.targets
            if target.instructions_per_request is not None
        }


def measure_instructions(
    targets: Sequence[BuiltTarget],
    *,
    warmup_requests: int,
    measured_requests: int,
    output_dir: Path,
    progress: Callable[[str], None],
) -> InstructionCounts:
    """Start each target under callgrind, warm it up, count the instructions of N requests."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        return InstructionCounts(warmup_requests, measured_requests, [], INSTALL_HINT)
    output_dir.mkdir(parents=True, exist_ok=True)
    counts = []
    for target in targets:
        count = _count(target, warmup_requests, measured_requests, output_dir)
        figure = count.instructions_per_request
        reason = (count.failure or "no reason given").splitlines()[0]
        progress(
            f"  {target.name}: {figure:,.0f} instructions/request"
            if figure is not None
            else f"  {target.name}: not counted ({reason})"
        )
        counts.append(count)
    return InstructionCounts(warmup_requests, measured_requests, counts)


def _count(target: BuiltTarget, warmup: int, measured: int, output_dir: Path) -> InstructionCount:
    wrapper = (
        "valgrind",
        "--tool=callgrind",
        # V8 writes and rewrites machine code at run time.
        "--smc-check=all-non-file",
        f"--callgrind-out-file={output_dir / f'callgrind.{target.name}.out'}",
    )
    try:
        with running_target(
            target,
            extra_env={**CONTROL_ENV, **SERVICE_ENV},
            # A target that fails to boot under valgrind is reported with the tail of its output.
            log=output_dir / f"{target.name}.log",
            wrapper=wrapper,
            ready_timeout=READY_TIMEOUT_SECONDS,
        ) as running:
            path = target.prepare_route(running.port)
            connection = http.client.HTTPConnection(
                "127.0.0.1", running.port, timeout=REQUEST_TIMEOUT_SECONDS
            )
            try:
                _send(connection, target, path, warmup)
                before = _instructions_so_far(running)
                _send(connection, target, path, measured)
                after = _instructions_so_far(running)
            finally:
                connection.close()
    except (BootError, OSError, ValueError, http.client.HTTPException) as error:
        return InstructionCount(target.name, target.label, 0, None, str(error))
    return InstructionCount(target.name, target.label, measured, (after - before) / measured)


def _send(connection: http.client.HTTPConnection, target: BuiltTarget, path: str, n: int) -> None:
    for _ in range(n):
        connection.request("GET", path, headers=dict(target.request_headers))
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            msg = f"GET {path} answered {response.status}"
            raise ValueError(msg)


def _instructions_so_far(running: RunningTarget) -> int:
    """Instructions executed so far by every thread of the process (callgrind_control -e)."""
    completed = subprocess.run(
        ["callgrind_control", "-e", str(running.process.pid)],
        capture_output=True,
        text=True,
        timeout=REQUEST_TIMEOUT_SECONDS,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), **CONTROL_ENV},
    )
    return parse_thread_totals(completed.stdout + completed.stderr)


def parse_thread_totals(output: str) -> int:
    """Sum of the per-thread `Ir` totals in `callgrind_control -e` output."""
    totals = [int(value.replace(",", "")) for value in THREAD_TOTAL.findall(output)]
    if not totals:
        msg = f"callgrind_control reported no instruction count: {output.strip()[:300]!r}"
        raise ValueError(msg)
    return sum(totals)
