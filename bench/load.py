"""Drive a target with wrk (`-t1 -cN`), or autocannon when wrk is missing; parse the figures."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.node_env import node_environment

_UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_EXTRA_SECONDS = 30.0


@dataclass(frozen=True)
class LoadFigures:
    """What one measured window produced."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


@dataclass(frozen=True)
class LoadGenerator:
    """wrk, or autocannon (its CLI script run with node) as the fallback."""

    name: str
    autocannon_cli: Path | None = None
    node: Path | None = None

    def run(
        self,
        url: str,
        *,
        seconds: float,
        connections: int,
        headers: Mapping[str, str] | None = None,
    ) -> LoadFigures:
        """One window of closed-loop load on url."""
        if self.autocannon_cli is None:
            return _run_wrk(url, seconds, connections, headers or {})
        return self._run_autocannon(url, seconds, connections, headers or {})

    def _run_autocannon(
        self, url: str, seconds: float, connections: int, headers: Mapping[str, str]
    ) -> LoadFigures:
        args = [str(self.node), str(self.autocannon_cli), "-j", "-c", str(connections)]
        args += ["-d", str(max(1, round(seconds)))]
        for key, value in headers.items():
            args += ["-H", f"{key}={value}"]
        completed = subprocess.run(
            [*args, url],
            capture_output=True,
            text=True,
            timeout=seconds + _EXTRA_SECONDS,
            check=True,
            env=node_environment(),
        )
        return parse_autocannon(completed.stdout)


def find_wrk() -> str | None:
    """Path of wrk, if installed (`apt-get install -y wrk`)."""
    return shutil.which("wrk")


def _run_wrk(url: str, seconds: float, connections: int, headers: Mapping[str, str]) -> LoadFigures:
    # A 10 s timeout, so a slow answer counts in the latency figures instead of vanishing
    # from them as a timeout (wrk's default is 2 s).
    args = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    args += ["--timeout", "10s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    completed = subprocess.run(
        [*args, url], capture_output=True, text=True, timeout=seconds + _EXTRA_SECONDS, check=True
    )
    return parse_wrk(completed.stdout)


def _milliseconds(value: str, unit: str) -> float:
    return float(value) * _UNIT_TO_MS[unit]


def parse_wrk(output: str) -> LoadFigures:
    """Figures from wrk's text output (run with --latency)."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if rps is None or total is None:
        msg = f"cannot parse wrk output:\n{output}"
        raise ValueError(msg)
    percentiles = {
        match[1]: _milliseconds(match[2], match[3])
        for match in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    requests = int(total[1])
    if requests == 0:
        # wrk prints 0.00us percentiles when nothing completed: there is no latency to report.
        percentiles = {}
    return LoadFigures(
        requests_per_second=float(rps[1]),
        p50_ms=percentiles.get("50", float("nan")),
        p99_ms=percentiles.get("99", float("nan")),
        requests=requests,
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(count) for count in socket.groups()) if socket else 0,
    )


def parse_autocannon(output: str) -> LoadFigures:
    """Figures from autocannon's JSON output (`-j`)."""
    result = json.loads(output)
    return LoadFigures(
        requests_per_second=float(result["requests"]["average"]),
        p50_ms=float(result["latency"]["p50"]),
        p99_ms=float(result["latency"]["p99"]),
        requests=int(result["requests"]["total"]),
        non_2xx=int(result.get("non2xx", 0)),
        socket_errors=int(result.get("errors", 0)) + int(result.get("timeouts", 0)),
    )


def choose_load_generator(scratch: Path, node: Path) -> LoadGenerator:
    """Use wrk when installed; otherwise autocannon, npm-installed into the scratch directory."""
    if find_wrk() is not None:
        return LoadGenerator(name="wrk")
    from bench.node_env import run_command  # noqa: PLC0415 (only on the fallback path)

    tools = scratch / "tools"
    cli = tools / "node_modules" / "autocannon" / "autocannon.js"
    if not cli.is_file():
        tools.mkdir(parents=True, exist_ok=True)
        (tools / "package.json").write_text('{"private": true}\n', encoding="utf-8")
        run_command(["npm", "install", "--no-audit", "autocannon@^8"], cwd=tools, timeout=600)
    return LoadGenerator(name="autocannon", autocannon_cli=cli, node=node)
