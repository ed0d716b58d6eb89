"""Command line of the benchmark harness: `python -m bench [options]`."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.cpu_pool import DEFAULT_TASK_ROUTE
from bench.peer_sources import ALL_PEERS
from bench.peers import peer_by_name
from bench.presets import BackingServices, preset_answers
from bench.report import render_markdown, write_results
from bench.runner import SECTIONS, RunOptions, print_progress, run_benchmark
from bench.throughput import LoadSettings
from scaffold.errors import ScaffoldError

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_PRESETS = ("minimal", "api")
# Sequential requests (warm-up, counted) per target under callgrind: enough for V8 to optimise
# the request path before counting; quick mode only checks that counting works.
INSTRUCTION_REQUESTS = (3000, 2000)
QUICK_INSTRUCTION_REQUESTS = (200, 100)


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def build_parser() -> argparse.ArgumentParser:
    """The options, with the full-run defaults."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the generated services against their peers, side by side.",
    )
    add = parser.add_argument
    add(
        "--peers",
        type=_names,
        default=",".join(peer.name for peer in ALL_PEERS),
        help="comma-separated peers (default: all: %(default)s)",
    )
    add(
        "--presets",
        type=_names,
        default=",".join(DEFAULT_PRESETS),
        help="comma-separated scaffold presets (default: %(default)s)",
    )
    add("--rounds", type=int, default=5, help="throughput rounds (default: %(default)s)")
    add("--warmup", type=float, default=5.0, help="warm-up seconds per turn (default: %(default)s)")
    add(
        "--duration",
        type=float,
        default=10.0,
        help="measured seconds per turn (default: %(default)s)",
    )
    add("--connections", type=int, default=50, help="load connections (default: %(default)s)")
    add(
        "--cold-start-runs", type=int, default=5, help="cold starts per mode (default: %(default)s)"
    )
    add(
        "--cli-runs",
        type=int,
        # Each command takes about 2 s, and one busy moment of the VM can add a second to a run.
        default=9,
        help="runs of each scaffold command (default: %(default)s)",
    )
    add(
        "--only",
        type=_names,
        default=SECTIONS,
        help=f"sections to run, among {','.join(SECTIONS)} (default: all)",
    )
    add(
        "--quick",
        action="store_true",
        help="smoke mode: 1 round, 1 s warm-up, 3 s windows, 1 cold start, 1 CLI run each, "
        "100 counted requests",
    )
    add(
        "--work-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "scaffold-bench",
        help="scratch directory; unchanged builds in it are reused (default: %(default)s)",
    )
    add(
        "--results-dir",
        type=Path,
        default=RESULTS_DIR,
        help="where results go (default: bench/results)",
    )
    add(
        "--database-url",
        default=os.environ.get("SCAFFOLD_TEST_DATABASE_URL"),
        help="PostgreSQL for presets with a database (default: $SCAFFOLD_TEST_DATABASE_URL)",
    )
    add(
        "--redis-url",
        default=os.environ.get("SCAFFOLD_TEST_REDIS_URL"),
        help="Redis for presets with a cache or queue (default: $SCAFFOLD_TEST_REDIS_URL)",
    )
    add(
        "--cpu-task",
        default=DEFAULT_TASK_ROUTE,
        help="'METHOD /path [JSON body]' of the workload=cpu route that runs a CPU task "
        f"(default: {DEFAULT_TASK_ROUTE!r})",
    )
    add(
        "--overload-baseline",
        type=Path,
        default=None,
        help="a built `minimal` project of an earlier version to overload beside the current one",
    )
    add(
        "--overload-variant",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="also overload the current `minimal` with this setting (repeatable)",
    )
    return parser


def options_from(arguments: argparse.Namespace, command: str) -> RunOptions:
    """RunOptions from parsed arguments (--quick shortens every window)."""
    quick = bool(arguments.quick)
    unknown = [section for section in arguments.only if section not in SECTIONS]
    if unknown:
        msg = f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}"
        raise SystemExit(msg)
    try:
        peer_by_name(arguments.peers)
        for preset in arguments.presets:
            preset_answers(preset)
    except (ValueError, ScaffoldError) as error:
        raise SystemExit(str(error)) from error
    return RunOptions(
        peers=arguments.peers,
        presets=arguments.presets,
        load=LoadSettings(
            rounds=1 if quick else arguments.rounds,
            warmup_seconds=1.0 if quick else arguments.warmup,
            measure_seconds=3.0 if quick else arguments.duration,
            connections=arguments.connections,
        ),
        cold_start_runs=1 if quick else arguments.cold_start_runs,
        instruction_requests=QUICK_INSTRUCTION_REQUESTS if quick else INSTRUCTION_REQUESTS,
        cli_runs=1 if quick else arguments.cli_runs,
        sections=arguments.only,
        work_dir=arguments.work_dir.resolve(),
        services=BackingServices(arguments.database_url, arguments.redis_url),
        cpu_task_route=arguments.cpu_task,
        command=command,
        overload_baseline=arguments.overload_baseline,
        overload_variants=tuple(arguments.overload_variant),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the Markdown and where the results were written."""
    args = list(sys.argv[1:] if argv is None else argv)
    arguments = build_parser().parse_args(args)
    options = options_from(arguments, shlex.join(["python", "-m", "bench", *args]))
    results = run_benchmark(options, print_progress)
    stem = datetime.now(UTC).strftime("%Y-%m-%d")
    json_path, markdown_path = write_results(results, arguments.results_dir, stem)
    print(render_markdown(results))
    print(f"Results: {markdown_path} and {json_path}", file=sys.stderr)
    return 0
