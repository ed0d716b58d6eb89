"""workload=cpu: /health/live p99 while CPU tasks run on the worker pool, versus inline.

The pool figure comes from the rendered `workload=cpu` service itself. The inline figure comes
from a bare `node:http` server beside it that imports the same compiled task module and runs it
on the event loop: the same work, without the pool, so the difference is what the pool buys.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from bench.jwt_token import read_env_example
from bench.load import LoadFigures, LoadGenerator, parse_wrk
from bench.node_env import real_node_binary
from bench.presets import install_and_build, preset_answers, render, start_command
from bench.servers import running_target
from bench.targets import BuiltTarget

PROBE_CONNECTIONS = 1
TASK_HEAD_START_SECONDS = 1.0
# About 0.15 s of one core per task on this machine: long enough to block a loop that runs it.
DEFAULT_TASK_ROUTE = "GET /orders/report?syntheticOrders=20000"
# The compiled task module and its export, as the pool's worker threads load it.
TASK_MODULE = "dist/cpu/order-report.js"
TASK_EXPORT = "buildOrderReport"
INLINE_SERVER = "bench-inline-server.mjs"

INLINE_SERVER_SOURCE = f"""\
// The CPU task of {TASK_MODULE} run inline, on the event loop (benchmark comparison only).
import {{ createServer }} from 'node:http';
import {{ {TASK_EXPORT} }} from './{TASK_MODULE}';

createServer((request, response) => {{
  const url = new URL(request.url ?? '/', 'http://localhost');
  response.setHeader('content-type', 'application/json');
  if (url.pathname === '/health/live') {{
    response.end('{{"status":"ok"}}');
  }} else if (url.pathname === '/orders/report') {{
    const syntheticOrders = Number(url.searchParams.get('syntheticOrders') ?? '0');
    response.end(JSON.stringify({TASK_EXPORT}({{ orders: [], syntheticOrders }})));
  }} else {{
    response.statusCode = 404;
    response.end('{{}}');
  }}
}}).listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
"""


@dataclass(frozen=True)
class CpuPoolResult:
    """Probe p99 with the pool and inline, or why it was skipped."""

    skipped_reason: str | None = None
    pool_live_p99_ms: float | None = None
    pool_probe_errors: int | None = None
    pool_probe_requests: int | None = None
    # The CPU task load itself (req/s, latency, non-2xx) while the pool was probed.
    pool_tasks: dict[str, float] | None = None
    inline_live_p99_ms: float | None = None
    inline_probe_errors: int | None = None
    inline_probe_requests: int | None = None
    inline_tasks: dict[str, float] | None = None
    inline_skipped_reason: str | None = None
    task_route: str | None = None
    probe_seconds: float | None = None


def measure_cpu_pool(
    scratch: Path,
    generator: LoadGenerator,
    *,
    task_route: str,
    seconds: float,
) -> CpuPoolResult:
    """Render minimal with workload=cpu; probe liveness under CPU load, pooled and inline."""
    answers = preset_answers("minimal", {"workload": "cpu", "project_name": "Cpu Bench"})
    probe_render = render(answers, scratch / "render-cpu-probe")
    if "CPU_POOL_SIZE" not in read_env_example(probe_render):
        return CpuPoolResult(
            skipped_reason="the rendered workload=cpu service has no CPU pool "
            "(no CPU_POOL_SIZE in its .env.example)"
        )
    node = real_node_binary()
    project = install_and_build("cpu", answers, scratch)
    pooled = BuiltTarget(
        name="cpu",
        label="workload=cpu",
        kind="preset",
        directory=project,
        command=start_command(project, node),
        route=task_route,
        prepare_route=lambda _port: "/health/live",
        ready_path="/health/live",
        env={"RATE_LIMIT_MAX": "1000000000"},
    )
    pool, pool_tasks = _probe_under_cpu_load(pooled, generator, task_route, seconds)
    result = CpuPoolResult(
        pool_live_p99_ms=pool.p99_ms,
        pool_probe_errors=pool.non_2xx + pool.socket_errors,
        pool_probe_requests=pool.requests,
        pool_tasks=asdict(pool_tasks),
        task_route=task_route,
        probe_seconds=seconds,
    )
    if not (project / TASK_MODULE).is_file():
        return replace(result, inline_skipped_reason=f"{TASK_MODULE} is not in the build")
    (project / INLINE_SERVER).write_text(INLINE_SERVER_SOURCE, encoding="utf-8")
    inline_target = BuiltTarget(
        name="cpu-inline",
        label="workload=cpu, task inline",
        kind="peer",
        directory=project,
        command=(str(node), INLINE_SERVER),
        route=task_route,
        prepare_route=lambda _port: "/health/live",
        ready_path="/health/live",
    )
    inline, inline_tasks = _probe_under_cpu_load(inline_target, generator, task_route, seconds)
    return replace(
        result,
        inline_live_p99_ms=inline.p99_ms,
        inline_probe_errors=inline.non_2xx + inline.socket_errors,
        inline_probe_requests=inline.requests,
        inline_tasks=asdict(inline_tasks),
    )


def _probe_under_cpu_load(
    target: BuiltTarget,
    generator: LoadGenerator,
    task_route: str,
    seconds: float,
) -> tuple[LoadFigures, LoadFigures]:
    """Figures of the /health/live probe and of the CPU task load that ran meanwhile."""
    method, _, rest = task_route.strip().partition(" ")
    path, _, body = rest.strip().partition(" ")
    saturating_connections = 2 * (os.cpu_count() or 1)
    with running_target(target) as running:
        base = f"http://127.0.0.1:{running.port}"
        # wrk sends GET unless a Lua script sets another method.
        script = target.directory / ".bench-task.lua"
        script.write_text(_wrk_request_script(method, body), encoding="utf-8")
        task_load = subprocess.Popen(
            [
                "wrk",
                "-t1",
                f"-c{saturating_connections}",
                f"-d{round(seconds) + 2}s",
                "--latency",
                *("--timeout", "10s"),
                *("-s", str(script), base + path),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            # The tasks get a head start, so the probe runs while the CPU is saturated.
            time.sleep(TASK_HEAD_START_SECONDS)
            probe = generator.run(
                base + "/health/live", seconds=seconds, connections=PROBE_CONNECTIONS
            )
            task_output, _ = task_load.communicate(timeout=seconds + 30)
        finally:
            if task_load.poll() is None:
                task_load.kill()
                task_load.wait(timeout=10)
        return probe, parse_wrk(task_output)


def _wrk_request_script(method: str, json_body: str) -> str:
    """A wrk Lua script sending METHOD with an optional JSON body (wrk sends GET otherwise)."""
    lines = [f"wrk.method = {json.dumps(method.upper() or 'GET')}"]
    if json_body:
        lines += [
            f"wrk.body = {json.dumps(json_body)}",
            'wrk.headers["Content-Type"] = "application/json"',
        ]
    return "\n".join(lines) + "\n"
