"""workload=cpu: /health/live p99 while CPU tasks run on the worker pool, versus inline.

The CPU pool is a later issue: until the rendered `workload=cpu` service has one (CPU_POOL_SIZE in
its .env.example) and a route that runs a CPU task is given (--cpu-task), this part is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.jwt_token import read_env_example
from bench.load import LoadFigures, LoadGenerator, parse_wrk
from bench.node_env import real_node_binary
from bench.presets import install_and_build, preset_answers, render, start_command
from bench.servers import BootError, running_target
from bench.targets import BuiltTarget

PROBE_CONNECTIONS = 1


@dataclass(frozen=True)
class CpuPoolResult:
    """Probe p99 with the pool and inline, or why it was skipped."""

    skipped_reason: str | None = None
    pool_live_p99_ms: float | None = None
    pool_probe_errors: int | None = None
    # The CPU task load itself (req/s, latency, non-2xx) while the pool was probed.
    pool_tasks: dict[str, float] | None = None
    inline_live_p99_ms: float | None = None
    inline_skipped_reason: str | None = None
    task_route: str | None = None


def measure_cpu_pool(
    scratch: Path,
    generator: LoadGenerator,
    *,
    task_route: str | None,
    inline_env: Mapping[str, str],
    seconds: float,
) -> CpuPoolResult:
    """Render minimal with workload=cpu; if it has a pool, probe liveness under CPU load."""
    answers = preset_answers("minimal", {"workload": "cpu", "project_name": "Cpu Bench"})
    probe_render = render(answers, scratch / "render-cpu-probe")
    has_pool = "CPU_POOL_SIZE" in read_env_example(probe_render)
    if not has_pool:
        return CpuPoolResult(
            skipped_reason="the rendered workload=cpu service has no CPU pool yet "
            "(no CPU_POOL_SIZE in its .env.example)"
        )
    if task_route is None:
        return CpuPoolResult(
            skipped_reason="the workload=cpu service has a CPU pool; pass --cpu-task "
            "'METHOD /path [JSON body]' naming the route that runs a CPU task"
        )
    node = real_node_binary()
    project = install_and_build("cpu", answers, scratch)
    target = BuiltTarget(
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
    pool, pool_tasks = _probe_under_cpu_load(target, generator, task_route, {}, seconds)
    inline_env_text = " ".join(f"{key}={value}" for key, value in inline_env.items())
    try:
        inline, _ = _probe_under_cpu_load(target, generator, task_route, inline_env, seconds)
    except BootError as error:
        return CpuPoolResult(
            pool_live_p99_ms=pool.p99_ms,
            pool_probe_errors=pool.non_2xx + pool.socket_errors,
            pool_tasks=asdict(pool_tasks),
            task_route=task_route,
            inline_skipped_reason=f"the service does not start with {inline_env_text}: "
            f"{str(error).splitlines()[0]}",
        )
    return CpuPoolResult(
        pool_live_p99_ms=pool.p99_ms,
        pool_probe_errors=pool.non_2xx + pool.socket_errors,
        pool_tasks=asdict(pool_tasks),
        inline_live_p99_ms=inline.p99_ms,
        task_route=task_route,
    )


def _probe_under_cpu_load(
    target: BuiltTarget,
    generator: LoadGenerator,
    task_route: str,
    extra_env: Mapping[str, str],
    seconds: float,
) -> tuple[LoadFigures, LoadFigures]:
    """Figures of the /health/live probe and of the CPU task load that ran meanwhile."""
    method, _, rest = task_route.strip().partition(" ")
    path, _, body = rest.strip().partition(" ")
    saturating_connections = 2 * (os.cpu_count() or 1)
    with running_target(target, extra_env=extra_env) as running:
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
                *("-s", str(script), base + path),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
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
