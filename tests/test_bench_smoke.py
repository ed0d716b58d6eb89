"""Smoke test of the benchmark harness (`python -m bench --quick`): runs, reports sane figures.

Figures measured here are not judged (CI machines are noisy): only that every part produced a
number in a plausible range, in both the JSON and the Markdown table. The slow tests share one
quick run (1 round, 3 s windows, bare node:http, bare Fastify and the minimal preset).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 600

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:39123/orders/373a8706
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    98.38ms  209.82ms   1.32s    90.41%
    Req/Sec     1.53k   787.82     2.97k    60.00%
  Latency Distribution
     50%  724.00us
     75%   41.24ms
     90%  290.51ms
     99%    1.06s
  4602 requests in 3.05s, 4.96MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   1509.63
Transfer/sec:      1.63MB
"""


def test_wrk_output_is_parsed_with_units() -> None:
    from bench.load import parse_wrk

    figures = parse_wrk(WRK_OUTPUT)
    assert figures.requests_per_second == 1509.63
    assert figures.p50_ms == pytest.approx(0.724)
    assert figures.p99_ms == pytest.approx(1060)
    assert (figures.requests, figures.non_2xx, figures.socket_errors) == (4602, 7, 3)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


@pytest.fixture(scope="module")
def bench_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """One quick run on bare node:http, bare Fastify and the minimal preset."""
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install -y wrk)")
    root = tmp_path_factory.mktemp("bench")
    results_dir = root / "results"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--peers",
            "node-http,fastify",
            "--presets",
            "minimal",
            "--work-dir",
            str(root / "work"),
            "--results-dir",
            str(results_dir),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    (json_path,) = results_dir.glob("*.json")
    (markdown_path,) = results_dir.glob("*.md")
    assert completed.stdout.strip() == markdown_path.read_text(encoding="utf-8").strip()
    return json.loads(json_path.read_text(encoding="utf-8")), markdown_path.read_text(
        encoding="utf-8"
    )


@pytest.mark.slow
def test_throughput_of_every_target_with_ratio_to_node_http(
    bench_results: tuple[dict[str, Any], str],
) -> None:
    results, _ = bench_results
    assert results["skipped"] == [], results["skipped"]
    rows = {row["name"]: row for row in results["throughput"]}
    assert set(rows) == {"node-http", "fastify", "minimal"}
    for name, row in rows.items():
        summary = row["summary"]
        assert summary["rounds"] == 1, row["failures"]
        assert 100 < summary["requests_per_second"] < 1_000_000, name
        assert 0 < summary["p50_ms"] <= summary["p99_ms"] < 10_000, name
        assert 10 < summary["idle_rss_mib"] < 1024, name
        assert 0 < summary["idle_file_backed_rss_mib"] < summary["idle_rss_mib"], name
        assert not summary["errors_flagged"], (name, summary)
        assert 0.01 < summary["ratio_to_node_http"] < 10, name
    assert rows["node-http"]["summary"]["ratio_to_node_http"] == 1
    assert rows["minimal"]["route"] == "GET /orders/:id"


@pytest.mark.slow
def test_cold_start_footprint_and_cli_timings(
    bench_results: tuple[dict[str, Any], str],
) -> None:
    results, _ = bench_results
    for row in results["cold_start"]:
        assert row["failures"] == [], row
        assert 10 < row["summary"]["without_compile_cache_ms"] < 30_000, row
        assert 10 < row["summary"]["with_compile_cache_ms"] < 30_000, row
    (footprint,) = results["footprint"]
    assert footprint["preset"] == "minimal"
    assert 1 < footprint["node_modules_mib"] < 500
    assert 10 < footprint["packages"] < 1000
    timings = {row["command"]: row["median_ms"] for row in results["cli"]}
    assert len(timings) == 4
    assert all(_finite(value) and value > 0 for value in timings.values())
    cpu = results["cpu_pool"]
    assert cpu["skipped_reason"] is None, cpu
    assert cpu["inline_skipped_reason"] is None, cpu
    assert cpu["pool_probe_requests"] > 0, cpu
    assert _finite(cpu["pool_live_p99_ms"]), cpu
    # Inline, the probe may get no answer at all within the window: that is the finding.
    assert cpu["inline_probe_requests"] == 0 or _finite(cpu["inline_live_p99_ms"]), cpu
    for mode in ("pool", "inline"):
        assert cpu[f"{mode}_tasks"]["requests"] > 0, cpu


@pytest.mark.slow
def test_instructions_per_request_are_counted_for_every_target_under_callgrind(
    bench_results: tuple[dict[str, Any], str],
) -> None:
    results, markdown = bench_results
    section = results["instructions"]
    if section["skipped_reason"] is not None:
        pytest.skip(section["skipped_reason"])
    counts = {row["name"]: row for row in section["targets"]}
    assert set(counts) == {"node-http", "fastify", "minimal"}
    for name, row in counts.items():
        assert row["failure"] is None, row
        assert row["requests"] == section["measured_requests"], name
        # A request through node's HTTP stack alone takes some 10^5 instructions.
        assert 10_000 < row["instructions_per_request"] < 100_000_000, row
    assert section["ratios_to_node_http"]["node-http"] == 1
    # The whole production stack does more work per request than bare node:http.
    assert section["ratios_to_node_http"]["minimal"] < 1
    assert "## Instructions per request (callgrind)" in markdown


def test_callgrind_thread_totals_are_summed() -> None:
    from bench.instructions import parse_thread_totals

    output = (
        "PID 31594: node node-http.mjs\n\n  Totals:         Ir \n"
        "   Th 1  240,841,713 \n   Th 2        4,442 \n   Th 8   43,888,792 \n"
    )

    assert parse_thread_totals(output) == 240_841_713 + 4_442 + 43_888_792


def test_callgrind_output_without_totals_is_an_error_naming_it() -> None:
    from bench.instructions import parse_thread_totals

    with pytest.raises(ValueError, match=r"no instruction count.*shared memory"):
        parse_thread_totals("error opening /tmp/vgdb-pipe-shared-mem-vgdb-1 shared memory file")


def test_a_target_that_cannot_boot_under_callgrind_is_reported_not_counted(
    tmp_path: Path,
) -> None:
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed (apt-get install -y valgrind)")
    from bench.instructions import measure_instructions
    from bench.targets import BuiltTarget

    broken = BuiltTarget(
        name="broken",
        label="a server that exits at once",
        kind="peer",
        directory=tmp_path,
        command=(sys.executable, "-c", "import sys; print('no config'); sys.exit(3)"),
        route="GET /",
        prepare_route=lambda port: "/",
    )

    counts = measure_instructions(
        [broken],
        warmup_requests=1,
        measured_requests=1,
        output_dir=tmp_path / "callgrind",
        progress=lambda message: None,
    )

    (count,) = counts.targets
    assert count.instructions_per_request is None
    assert count.failure is not None
    assert "exited with 3 while booting" in count.failure
    assert "no config" in count.failure
    assert counts.ratios_to_baseline() == {}


@pytest.mark.slow
def test_markdown_names_machine_command_and_tables(
    bench_results: tuple[dict[str, Any], str],
) -> None:
    results, markdown = bench_results
    machine = results["machine"]
    assert f"{machine['cores']} cores" in markdown
    assert str(machine["node"]).startswith("v")
    assert "python -m bench --quick" in markdown
    for heading in ("## Throughput", "## Cold start", "## Production dependencies", "## scaffold"):
        assert heading in markdown
    assert "| bare node:http | `GET /` |" in markdown


def test_goals_report_met_missed_and_unmeasured_figures() -> None:
    from bench.goals import check_goals

    results = {
        "throughput": [
            {"name": "minimal", "summary": {"ratio_to_node_http": 0.5, "idle_rss_mib": 95.0}},
        ],
        "cli": [{"command": "scaffold --help", "median_ms": 180.0}],
    }

    checks = {check.goal.split(" ≥ ")[0].split(" ≤ ")[0]: check for check in check_goals(results)}

    assert checks["minimal `GET /orders/:id` x node:http"].met is True
    assert checks["minimal `GET /orders/:id` x node:http"].measured == "0.50 x"
    assert checks["minimal idle RSS"].met is False
    assert checks["`scaffold --help`"].met is True
    assert checks["api production node_modules"].met is None
    assert checks["api production node_modules"].measured == "not measured"


def test_footprint_replays_the_run_lines_of_the_dockerfile_deps_stage(tmp_path: Path) -> None:
    from bench.footprint import dockerfile_stage

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM node:24-slim AS build\n"
        "RUN npm ci\n"
        "FROM node:24-slim AS deps\n"
        "ENV NODE_ENV=production\n"
        "RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev\n"
        "RUN find node_modules -name '*.map' \\\n"
        "      -delete\n"
        "FROM node:24-slim AS runtime\n"
        "RUN echo runtime\n",
        encoding="utf-8",
    )

    stage = dockerfile_stage(dockerfile, "deps")

    assert stage is not None
    assert stage.commands == ["npm ci --omit=dev", "find node_modules -name '*.map'        -delete"]
    assert stage.env == {"NODE_ENV": "production"}
    assert dockerfile_stage(dockerfile, "missing") is None


def test_the_generated_dockerfile_has_the_deps_stage_the_footprint_replays() -> None:
    from bench.footprint import DEPS_STAGE, dockerfile_stage

    stage = dockerfile_stage(REPO_ROOT / "examples/minimal-service/Dockerfile", DEPS_STAGE)

    assert stage is not None
    assert stage.commands[0].startswith("npm ci --omit=dev")
    assert any(command.startswith("find node_modules") for command in stage.commands)
