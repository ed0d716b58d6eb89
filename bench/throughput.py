"""Throughput rounds: every target in turn (A B C …, A B C …), fresh process each time."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.load import LoadFigures, LoadGenerator
from bench.servers import BootError, running_target
from bench.stats import median, ratio
from bench.targets import BuiltTarget

BASELINE = "node-http"
IDLE_SETTLE_SECONDS = 1.0
# Admission control still checks every request, with its budget per event-loop turn raised out
# of the way: on a machine the load generator shares, a turn the service is descheduled in would
# otherwise refuse its requests, and refusals are not throughput (the overload section measures
# them). Targets other than the generated services ignore the variable.
SERVICE_ENV = {"OVERLOAD_MAX_EVENT_LOOP_DELAY_MS": "600000"}
# Error responses are not throughput: a window with more than this share of them is flagged.
MAX_ERROR_SHARE = 0.01


@dataclass(frozen=True)
class LoadSettings:
    """Shape of each target's turn in a round."""

    rounds: int
    warmup_seconds: float
    measure_seconds: float
    connections: int


@dataclass(frozen=True)
class RoundSample:
    """One target's turn in one round."""

    round_index: int
    figures: LoadFigures
    idle_rss_mib: float
    idle_file_backed_rss_mib: float
    loaded_rss_mib: float


@dataclass
class TargetThroughput:
    """All rounds of one target, with the summary over rounds."""

    name: str
    label: str
    route: str
    samples: list[RoundSample] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    ratios_to_baseline: list[float] = field(default_factory=list)

    def median_of(self, pick: Callable[[RoundSample], float]) -> float:
        """Median over rounds of one figure."""
        return median(pick(sample) for sample in self.samples)

    def summary(self) -> dict[str, float | int | str | bool]:
        """Median figures over rounds, for the report."""
        rps = [sample.figures.requests_per_second for sample in self.samples]
        requests = sum(sample.figures.requests for sample in self.samples)
        errors = sum(
            sample.figures.non_2xx + sample.figures.socket_errors for sample in self.samples
        )
        return {
            "requests_per_second": self.median_of(lambda s: s.figures.requests_per_second),
            "requests_per_second_min": min(rps, default=float("nan")),
            "requests_per_second_max": max(rps, default=float("nan")),
            "ratio_to_node_http": median(self.ratios_to_baseline),
            "p50_ms": self.median_of(lambda s: s.figures.p50_ms),
            "p99_ms": self.median_of(lambda s: s.figures.p99_ms),
            "idle_rss_mib": self.median_of(lambda s: s.idle_rss_mib),
            "idle_file_backed_rss_mib": self.median_of(lambda s: s.idle_file_backed_rss_mib),
            "loaded_rss_mib": self.median_of(lambda s: s.loaded_rss_mib),
            "requests": requests,
            "errors": errors,
            "errors_flagged": requests > 0 and errors / requests > MAX_ERROR_SHARE,
            "rounds": len(self.samples),
        }


def run_rounds(
    targets: Sequence[BuiltTarget],
    generator: LoadGenerator,
    settings: LoadSettings,
    progress: Callable[[str], None],
) -> list[TargetThroughput]:
    """Measure every target once per round, in the same order; ratios use the same round."""
    results = {t.name: TargetThroughput(name=t.name, label=t.label, route=t.route) for t in targets}
    for round_index in range(settings.rounds):
        round_rps: dict[str, float] = {}
        for target in targets:
            try:
                sample = _one_turn(target, generator, settings, round_index)
            except (BootError, ValueError, OSError, subprocess.SubprocessError) as error:
                results[target.name].failures.append(f"round {round_index + 1}: {error}")
                progress(f"  round {round_index + 1} {target.name}: FAILED {error}")
                continue
            results[target.name].samples.append(sample)
            round_rps[target.name] = sample.figures.requests_per_second
            figures = sample.figures
            progress(
                f"  round {round_index + 1} {target.name}: "
                f"{figures.requests_per_second:,.0f} req/s, p99 {figures.p99_ms:.1f} ms"
            )
        baseline = round_rps.get(BASELINE)
        for name, rps in round_rps.items():
            if baseline is not None:
                results[name].ratios_to_baseline.append(ratio(rps, baseline))
    return list(results.values())


def _one_turn(
    target: BuiltTarget, generator: LoadGenerator, settings: LoadSettings, round_index: int
) -> RoundSample:
    with running_target(target, extra_env=SERVICE_ENV) as running:
        time.sleep(IDLE_SETTLE_SECONDS)
        idle_rss = running.rss_mib()
        idle_file_backed_rss = running.file_backed_rss_mib()
        path = target.prepare_route(running.port)
        url = f"http://127.0.0.1:{running.port}{path}"
        if settings.warmup_seconds > 0:
            generator.run(
                url,
                seconds=settings.warmup_seconds,
                connections=settings.connections,
                headers=target.request_headers,
            )
        figures = generator.run(
            url,
            seconds=settings.measure_seconds,
            connections=settings.connections,
            headers=target.request_headers,
        )
        return RoundSample(
            round_index=round_index,
            figures=figures,
            idle_rss_mib=idle_rss,
            idle_file_backed_rss_mib=idle_file_backed_rss,
            loaded_rss_mib=running.rss_mib(),
        )
