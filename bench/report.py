"""Write the results as JSON and as a Markdown table (rendered from the same data)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.goals import check_goals
from bench.stats import ratio


def _number(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(results: Mapping[str, Any]) -> str:
    """The results as Markdown: context, then one table per measurement."""
    machine = results["machine"]
    settings = results["settings"]
    lines = [
        f"# Benchmark results, {results['date']}",
        "",
        f"- Command: `{results['command']}` (from the repository root)",
        f"- Machine: {machine['cores']} cores ({machine['cpu_model']}), {machine['kernel']}, "
        f"Node {machine['node']}; load average {machine['load_average_1min']:.2f} before, "
        f"{results['load_average_after']:.2f} after",
        f"- Load: {results['load_generator']} -t1 -c{settings['connections']}, "
        f"{settings['warmup_seconds']:g} s warm-up then "
        f"{settings['measure_seconds']:g} s measured, {settings['rounds']} round(s) "
        "interleaving the targets; each figure is the median over rounds, each ratio the "
        "median of per-round ratios to bare node:http.",
        f"- Took {results['duration_seconds'] / 60:.1f} min.",
        "",
    ]
    lines += _goals_section(results)
    lines += _throughput_section(results.get("throughput", []))
    lines += _cold_start_section(results.get("cold_start", []))
    lines += _instructions_section(results.get("instructions"))
    lines += _footprint_section(results.get("footprint", []))
    lines += _cli_section(results.get("cli", []))
    lines += _cpu_section(results.get("cpu_pool"))
    lines += _overload_section(results.get("overload", []))
    skipped = results.get("skipped", [])
    if skipped:
        lines += ["## Skipped", ""]
        lines += [f"- **{item['name']}**: {_one_line(item['reason'])}" for item in skipped]
        lines.append("")
    return "\n".join(lines)


def _goals_section(results: Mapping[str, Any]) -> list[str]:
    verdicts = {True: "yes", False: "**no**", None: "not measured"}
    rows = [[check.goal, check.measured, verdicts[check.met]] for check in check_goals(results)]
    return ["## Goals", "", *_table(["goal", "measured", "met"], rows), ""]


def _one_line(text: str, limit: int = 400) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + " …"


def _throughput_section(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    if not rows:
        return []
    header = ["target", "route", "req/s", "range", "x node:http", "p50 ms", "p99 ms"]
    header += ["p99 x Fastify", "idle RSS MiB", "of it file-backed", "RSS after load MiB", "errors"]
    fastify = next((row for row in rows if row["name"] == "fastify"), None)
    fastify_p99 = fastify["summary"]["p99_ms"] if fastify else float("nan")
    body = []
    for row in rows:
        summary = row["summary"]
        errors = str(summary["errors"]) + (" ⚠" if summary["errors_flagged"] else "")
        body.append(
            [
                row["label"],
                f"`{row['route']}`",
                _number(summary["requests_per_second"]),
                f"{_number(summary['requests_per_second_min'])} to "
                f"{_number(summary['requests_per_second_max'])}",
                _number(summary["ratio_to_node_http"], 2),
                _number(summary["p50_ms"], 1),
                _number(summary["p99_ms"], 1),
                _number(ratio(summary["p99_ms"], fastify_p99), 2),
                _number(summary["idle_rss_mib"], 1),
                _number(summary["idle_file_backed_rss_mib"], 1),
                _number(summary["loaded_rss_mib"], 1),
                errors,
            ]
        )
    lines = ["## Throughput", "", *_table(header, body), ""]
    failures = [(row["name"], failure) for row in rows for failure in row["failures"]]
    lines += [f"- {name} {_one_line(failure)}" for name, failure in failures]
    lines.append("errors = non-2xx responses + socket errors; ⚠ when above 1 % of requests.")
    lines += [
        "",
        "of it file-backed = resident pages of mapped files, node's own binary above all: shared"
        " between processes and reclaimable; how many of them a process maps depends on the"
        " page cache, so it differs between hosts and over time on one host.",
    ]
    return [*lines, ""]


def _cold_start_section(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    if not rows:
        return []
    fastify = next((row for row in rows if row["name"] == "fastify"), None)
    fastify_ms = fastify["summary"]["without_compile_cache_ms"] if fastify else float("nan")
    body = [
        [
            row["name"],
            _number(row["summary"]["without_compile_cache_ms"]),
            _number(row["summary"]["with_compile_cache_ms"]),
            _number(ratio(row["summary"]["without_compile_cache_ms"], fastify_ms), 2),
            str(row["summary"]["runs"]),
        ]
        for row in rows
    ]
    header = ["target", "no compile cache ms", "NODE_COMPILE_CACHE ms", "x bare Fastify", "runs"]
    failures = [f"- {row['name']}: {_one_line(text)}" for row in rows for text in row["failures"]]
    return ["## Cold start to first 200 (median)", "", *_table(header, body), "", *failures, ""]


def _instructions_section(section: Mapping[str, Any] | None) -> list[str]:
    if section is None:
        return []
    lines = ["## Instructions per request (callgrind)", ""]
    if section.get("skipped_reason"):
        return [*lines, f"Skipped: {section['skipped_reason']}.", ""]
    ratios = section["ratios_to_node_http"]
    body = [
        [
            row["label"],
            _number(row["instructions_per_request"]),
            _number(ratios.get(row["name"]), 2),
        ]
        for row in section["targets"]
    ]
    failures = [
        f"- {row['name']}: {_one_line(row['failure'])}"
        for row in section["targets"]
        if row["failure"]
    ]
    note = (
        f"Every thread's userland instructions over {section['measured_requests']:,} "
        f"sequential requests on one connection, after {section['warmup_requests']:,} to warm "
        "up; x node:http is node:http's count over the target's, comparable to the req/s ratio "
        "but unmoved by steal time and the cost of waking the load generator; garbage "
        "collection, which V8 partly times by the clock, still moves it (see bench/README.md)."
    )
    header = ["target", "instructions/request", "x node:http"]
    return [*lines, note, "", *_table(header, body), "", *failures, *([""] if failures else [])]


def _footprint_section(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    if not rows:
        return []
    body = [
        [
            row["preset"],
            _number(row["node_modules_mib"], 1),
            str(row["packages"]),
            _number(row["install_seconds"], 1),
            row["installed_by"],
        ]
        for row in rows
    ]
    header = ["preset", "node_modules MiB", "packages", "install s", "installed by"]
    return ["## Production dependencies", "", *_table(header, body), ""]


def _cli_section(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    if not rows:
        return []
    copier = next((row for row in rows if row["command"].startswith("copier copy")), None)
    copier_ms = copier["median_ms"] if copier else float("nan")
    body = [
        [
            f"`{row['command']}`",
            _number(row["median_ms"]),
            _number(ratio(row["median_ms"], copier_ms), 2),
            str(row["runs"]),
        ]
        for row in rows
    ]
    header = ["command", "median ms", "x copier copy", "runs"]
    return ["## scaffold itself", "", *_table(header, body), ""]


def _cpu_section(cpu: Mapping[str, Any] | None) -> list[str]:
    if cpu is None:
        return []
    lines = ["## workload=cpu: /health/live p99 while CPU tasks run", ""]
    if cpu.get("skipped_reason"):
        return [*lines, f"Skipped: {cpu['skipped_reason']}.", ""]
    modes = [
        ("the service, tasks on its worker-thread pool", "pool"),
        ("the same task module run inline on the event loop (bare node:http)", "inline"),
    ]
    body = []
    for label, mode in modes:
        tasks = cpu.get(f"{mode}_tasks") or {}
        p99 = _number(cpu.get(f"{mode}_live_p99_ms"), 1)
        if cpu.get(f"{mode}_probe_requests") == 0:
            p99 = f"no answer within {_number(cpu.get('probe_seconds'), 0)} s"
        body.append(
            [
                label,
                p99,
                str(cpu.get(f"{mode}_probe_errors", "")),
                _number(tasks.get("requests_per_second"), 1),
                _number(tasks.get("p99_ms")),
                str(tasks.get("non_2xx", "")),
            ]
        )
    reason = cpu.get("inline_skipped_reason")
    notes = [f"Inline not measured: {_one_line(reason)}", ""] if reason else []
    header = [
        "mode",
        "/health/live p99 ms",
        "probe errors",
        "tasks req/s",
        "task p99 ms",
        "task non-2xx",
    ]
    route = (
        f"CPU task route: `{cpu['task_route']}`, driven by 2 connections per core while "
        "one connection probes `/health/live`."
    )
    return [*lines, route, "", *_table(header, body), "", *notes]


def write_results(results: Mapping[str, Any], results_dir: Path, stem: str) -> tuple[Path, Path]:
    """results_dir/STEM.json and STEM.md; returns both paths."""
    results_dir.mkdir(parents=True, exist_ok=True)
    json_path = results_dir / f"{stem}.json"
    markdown_path = results_dir / f"{stem}.md"
    strict_json = json.dumps(_without_nan(results), indent=2, default=str, allow_nan=False)
    json_path.write_text(strict_json + "\n", encoding="utf-8")
    markdown_path.write_text(render_markdown(results), encoding="utf-8")
    return json_path, markdown_path


def _without_nan(value: Any) -> Any:
    """NaN (an undefined figure) becomes null, so the JSON stays standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: _without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nan(item) for item in value]
    return value


def _percent(value: Any) -> str:
    return "n/a" if value is None else f"{100 * value:.0f} %"


def _overload_section(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    if not runs:
        return []
    lines = [
        "## Overload: `GET /orders/:id` past capacity",
        "",
        "Capacity: 200s per second from wrk -c50 on the same process. Open-loop: requests due "
        "at a fixed rate (bench/openloop.c, 1,000 connections), latency from when each was due. "
        "Closed-loop: wrk -c2000. The generator shares the machine's cores with the service.",
        "",
    ]
    header = [
        "round",
        "target",
        "load",
        "goodput (of capacity)",
        "200 p99 ms",
        "503 p99 ms",
        "503s",
        "errors / timeouts / not sent",
        "probes not 200 (slowest ms)",
    ]
    body = []
    for run in runs:
        name, capacity = run["name"], run["capacity_rps"]
        for row in run["open_loop"]:
            body.append(
                [
                    str(run["round"]),
                    name,
                    f"{row['offered_multiple']:g}x open-loop ({row['rate']:,.0f}/s)",
                    f"{_percent(row['goodput_share'])} of {capacity:,.0f}/s",
                    _number(row["ok_ms"].get("99"), 1),
                    _number(row["refused_ms"].get("99"), 1),
                    str(row["statuses"].get("503", row["statuses"].get(503, 0))),
                    f"{row['connection_errors']} / {row['timeouts']} / {row['never_sent']}",
                    f"{row['probes']['not_200']} ({row['probes']['max_ms']})",
                ]
            )
        closed = run["closed_loop"]
        statuses = closed["statuses"]
        body.append(
            [
                str(run["round"]),
                name,
                f"{closed['connections']:,} closed-loop",
                f"{_percent(closed['goodput_share'])} of {capacity:,.0f}/s",
                "",
                "",
                str(statuses.get("503", statuses.get(503, 0))),
                f"{closed['errors']} / {closed['timeouts']} / 0",
                f"{closed['probes']['not_200']} ({closed['probes']['max_ms']})",
            ]
        )
        body.append([str(run["round"]), name, "after the load", "", "", "", "", "", ""])
        body[-1][3] = f"normal latency after {_number(run['recovery_seconds'], 2)} s"
    return [*lines, *_table(header, body), ""]
