"""One benchmark run: build everything, measure each part, return the results as plain data."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.cli_timing import time_cli_commands
from bench.cold_start import measure_cold_starts
from bench.cpu_pool import measure_cpu_pool
from bench.footprint import production_footprint
from bench.instructions import measure_instructions
from bench.load import choose_load_generator
from bench.node_env import CommandError, machine_description, real_node_binary
from bench.openloop import GeneratorUnavailableError
from bench.overload import measure_overload
from bench.peers import build_peers, peer_by_name
from bench.presets import BackingServices, build_presets, create_order, start_command
from bench.servers import BootError, running_target
from bench.targets import BuiltTarget, SkippedTarget
from bench.throughput import LoadSettings, run_rounds

SECTIONS = ("throughput", "cold-start", "instructions", "footprint", "cli", "cpu", "overload")
SERVER_SECTIONS = frozenset({"throughput", "cold-start", "instructions"})


@dataclass(frozen=True)
class RunOptions:
    """Everything a run depends on."""

    peers: tuple[str, ...]
    presets: tuple[str, ...]
    load: LoadSettings
    cold_start_runs: int
    # Sequential requests before and while instructions are counted under callgrind.
    instruction_requests: tuple[int, int]
    cli_runs: int
    sections: tuple[str, ...]
    work_dir: Path
    services: BackingServices
    cpu_task_route: str
    command: str
    # A built project of an earlier version, overloaded beside the current `minimal`.
    overload_baseline: Path | None = None
    # Settings (NAME=VALUE) the current `minimal` is also overloaded with, one variant each.
    overload_variants: tuple[str, ...] = ()


def run_benchmark(options: RunOptions, progress: Callable[[str], None]) -> dict[str, Any]:
    """Build the targets, run the selected sections, return JSON-ready results."""
    started = time.monotonic()
    node = real_node_binary()
    options.work_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": options.command,
        "machine": machine_description(node),
        "settings": dataclasses.asdict(options.load),
    }
    progress(f"building {len(options.peers)} peer(s) and {len(options.presets)} preset(s)")
    targets, projects, skipped = _build_targets(options, node, progress)
    results["versions"] = {target.name: dict(target.versions) for target in targets}
    generator = choose_load_generator(options.work_dir, node)
    results["load_generator"] = generator.name

    if "throughput" in options.sections and targets:
        progress(f"throughput: {options.load.rounds} round(s) x {len(targets)} target(s)")
        rounds = run_rounds(targets, generator, options.load, progress)
        results["throughput"] = [
            {**dataclasses.asdict(result), "summary": result.summary()} for result in rounds
        ]
    if "cold-start" in options.sections and targets:
        progress(f"cold start: {options.cold_start_runs} run(s) per target and mode")
        cold = measure_cold_starts(
            targets, options.cold_start_runs, options.work_dir / "compile-cache", progress
        )
        results["cold_start"] = [{**dataclasses.asdict(c), "summary": c.summary()} for c in cold]
    if "instructions" in options.sections and targets:
        warmup, measured = options.instruction_requests
        progress(f"instructions per request under callgrind: {warmup} warm-up, {measured} counted")
        counts = measure_instructions(
            targets,
            warmup_requests=warmup,
            measured_requests=measured,
            output_dir=options.work_dir / "callgrind",
            progress=progress,
        )
        results["instructions"] = {
            **dataclasses.asdict(counts),
            "ratios_to_node_http": counts.ratios_to_baseline(),
        }
    if "footprint" in options.sections:
        results["footprint"] = _footprints(projects, options.work_dir, skipped, progress)
    if "cli" in options.sections:
        progress(f"scaffold CLI timings: {options.cli_runs} run(s) each")
        timings = time_cli_commands(options.work_dir, options.cli_runs)
        results["cli"] = [dataclasses.asdict(timing) for timing in timings]
    if "cpu" in options.sections:
        progress("workload=cpu liveness under CPU load")
        cpu = measure_cpu_pool(
            options.work_dir,
            generator,
            task_route=options.cpu_task_route,
            seconds=options.load.measure_seconds,
        )
        results["cpu_pool"] = dataclasses.asdict(cpu)
    if "overload" in options.sections:
        results["overload"] = _overload(options, node, skipped, progress)
    results["skipped"] = [dataclasses.asdict(item) for item in skipped]
    results["load_average_after"] = os.getloadavg()[0]
    results["duration_seconds"] = time.monotonic() - started
    return results


def _build_targets(
    options: RunOptions, node: Path, progress: Callable[[str], None]
) -> tuple[list[BuiltTarget], dict[str, Path], list[SkippedTarget]]:
    presets = build_presets(options.presets, options.work_dir, node, options.services)
    if not SERVER_SECTIONS & set(options.sections):
        return [], presets.projects, presets.skipped  # footprint, CLI and cpu start no target
    peers, skipped = build_peers(peer_by_name(options.peers), options.work_dir, node)
    skipped += presets.skipped
    booted: list[BuiltTarget] = []
    for target in [*peers, *presets.targets]:
        log = options.work_dir / f"boot-check-{target.name}.log"
        try:
            with running_target(target, log=log) as running:
                target.prepare_route(running.port)
        except (BootError, ValueError, OSError) as error:
            skipped.append(SkippedTarget(target.name, f"boot check failed: {error}"))
            continue
        booted.append(target)
    for item in skipped:
        progress(f"  SKIPPED {item.name}: {item.reason.splitlines()[0]}")
    progress(f"  ready: {', '.join(target.name for target in booted)}")
    return booted, presets.projects, skipped


def _footprints(
    projects: dict[str, Path],
    work_dir: Path,
    skipped: list[SkippedTarget],
    progress: Callable[[str], None],
) -> list[dict[str, Any]]:
    rows = []
    for name, project in projects.items():
        progress(f"production footprint of {name}")
        try:
            footprint = production_footprint(name, project, work_dir)
        except (CommandError, OSError) as error:
            skipped.append(SkippedTarget(f"{name} footprint", str(error)))
            continue
        rows.append(dataclasses.asdict(footprint))
    return rows


def _overload(
    options: RunOptions, node: Path, skipped: list[SkippedTarget], progress: Callable[[str], None]
) -> list[dict[str, Any]]:
    builds = build_presets(("minimal",), options.work_dir, node, options.services)
    skipped += builds.skipped
    targets = list(builds.targets)
    if options.overload_baseline is not None and targets:
        current = targets[0]
        baseline = options.overload_baseline.resolve()
        targets.insert(
            0,
            dataclasses.replace(
                current,
                name="minimal (baseline)",
                label=f"`minimal` built in {baseline}",
                directory=baseline,
                command=start_command(baseline, node),
                prepare_route=lambda port: create_order(port, {}),
            ),
        )
    if targets:
        current = targets[-1]
        for setting in options.overload_variants:
            variable, _, value = setting.partition("=")
            targets.append(
                dataclasses.replace(
                    current, name=f"minimal, {setting}", env={**current.env, variable: value}
                )
            )
    progress(f"overload: {options.load.rounds} round(s) x {len(targets)} target(s)")
    try:
        return measure_overload(
            targets,
            options.work_dir,
            seconds=options.load.measure_seconds,
            rounds=options.load.rounds,
            progress=progress,
        )
    except GeneratorUnavailableError as error:
        skipped.append(SkippedTarget("overload", str(error)))
        return []


_PROCESS_STARTED = time.monotonic()


def print_progress(message: str) -> None:
    """Progress lines, with the elapsed time, go to stderr; the summary goes to stdout."""
    elapsed = time.monotonic() - _PROCESS_STARTED
    print(f"[{elapsed:5.0f} s] {message}", file=sys.stderr, flush=True)
