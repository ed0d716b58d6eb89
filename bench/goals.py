"""The performance goals of the generated service, checked against one run's results.

Each goal is a ratio or a bound from the benchmark issue; a goal whose figures were not measured
in this run (a section or target left out) is reported as such, never as met.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Results = Mapping[str, Any]


@dataclass(frozen=True)
class GoalCheck:
    """One goal: what it asks, the figure measured, and whether the figure meets it."""

    goal: str
    measured: str
    met: bool | None  # None: not measured in this run


@dataclass(frozen=True)
class _Goal:
    text: str
    unit: str
    limit: float
    at_least: bool
    figure: Callable[[Results], float | None]


def _summary(results: Results, section: str, key: str, name: str) -> Mapping[str, Any] | None:
    for row in results.get(section) or []:
        if row.get(key) == name:
            summary: Mapping[str, Any] | None = row.get("summary", row)
            return summary
    return None


def _throughput(name: str, field: str) -> Callable[[Results], float | None]:
    def figure(results: Results) -> float | None:
        summary = _summary(results, "throughput", "name", name)
        return None if summary is None else summary.get(field)

    return figure


def _p99_over_fastify(name: str) -> Callable[[Results], float | None]:
    def figure(results: Results) -> float | None:
        target = _throughput(name, "p99_ms")(results)
        fastify = _throughput("fastify", "p99_ms")(results)
        return None if target is None or not fastify else target / fastify

    return figure


def _cold_start_over_fastify(name: str, field: str) -> Callable[[Results], float | None]:
    def figure(results: Results) -> float | None:
        target = _summary(results, "cold_start", "name", name)
        fastify = _summary(results, "cold_start", "name", "fastify")
        if target is None or fastify is None or not fastify.get(field):
            return None
        value: float = target[field] / fastify[field]
        return value

    return figure


def _footprint(preset: str) -> Callable[[Results], float | None]:
    def figure(results: Results) -> float | None:
        row = _summary(results, "footprint", "preset", preset)
        return None if row is None else row.get("node_modules_mib")

    return figure


def _cli(command: str, relative_to: str | None) -> Callable[[Results], float | None]:
    def figure(results: Results) -> float | None:
        timings = {row["command"]: row["median_ms"] for row in results.get("cli") or []}
        value = timings.get(command)
        if value is None or relative_to is None:
            return value
        base = timings.get(relative_to)
        return None if not base else value / base

    return figure


def _cpu_pool_p99(results: Results) -> float | None:
    cpu = results.get("cpu_pool") or {}
    value = cpu.get("pool_live_p99_ms")
    return None if cpu.get("pool_probe_requests") == 0 else value


_NEW = "scaffold new DIR --defaults --no-install"
_COPIER = "copier copy --defaults --quiet TEMPLATE DIR"

_NO_CACHE = "without_compile_cache_ms"
_CACHE = "with_compile_cache_ms"

GOALS = (
    _Goal(
        "minimal `GET /orders/:id` x node:http",
        "x",
        0.45,
        True,
        _throughput("minimal", "ratio_to_node_http"),
    ),
    _Goal(
        "api `GET /orders/:id` x node:http",
        "x",
        0.35,
        True,
        _throughput("api", "ratio_to_node_http"),
    ),
    _Goal("api p99 x bare Fastify's p99", "x", 1.3, False, _p99_over_fastify("api")),
    _Goal(
        "minimal cold start x bare Fastify",
        "x",
        1.5,
        False,
        _cold_start_over_fastify("minimal", _NO_CACHE),
    ),
    _Goal(
        "minimal cold start, compile cache, x bare Fastify",
        "x",
        1.5,
        False,
        _cold_start_over_fastify("minimal", _CACHE),
    ),
    _Goal(
        "api cold start x bare Fastify", "x", 1.5, False, _cold_start_over_fastify("api", _NO_CACHE)
    ),
    _Goal("minimal idle RSS", "MiB", 90, False, _throughput("minimal", "idle_rss_mib")),
    _Goal("api idle RSS", "MiB", 90, False, _throughput("api", "idle_rss_mib")),
    _Goal("api production node_modules", "MiB", 60, False, _footprint("api")),
    _Goal("`scaffold new --no-install` x `copier copy`", "x", 1.2, False, _cli(_NEW, _COPIER)),
    _Goal("`scaffold --help`", "ms", 250, False, _cli("scaffold --help", None)),
    _Goal("workload=cpu `/health/live` p99, pool saturated", "ms", 20, False, _cpu_pool_p99),
)


def check_goals(results: Results) -> list[GoalCheck]:
    """Every goal against this run's figures."""
    checks = []
    for goal in GOALS:
        relation = "≥" if goal.at_least else "≤"
        text = f"{goal.text} {relation} {goal.limit:g} {goal.unit}"
        value = goal.figure(results)
        if value is None or not math.isfinite(value):
            checks.append(GoalCheck(goal=text, measured="not measured", met=None))
            continue
        met = value >= goal.limit if goal.at_least else value <= goal.limit
        digits = 2 if goal.unit == "x" else 0 if goal.unit == "ms" else 1
        checks.append(GoalCheck(goal=text, measured=f"{value:,.{digits}f} {goal.unit}", met=met))
    return checks
