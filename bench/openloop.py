"""The open-loop generator (bench/openloop.c): build it with the C compiler, run it, parse it.

wrk and autocannon are closed-loop: each connection waits for its answer before it sends
again, so a server that slows down also slows its load, and a refusal brings the next request
at once. Overload has to be offered open-loop, at a rate that does not depend on the answers.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SOURCE = Path(__file__).resolve().with_name("openloop.c")
EXTRA_SECONDS = 30.0


class GeneratorUnavailableError(RuntimeError):
    """No C compiler to build the generator with."""


@dataclass(frozen=True)
class OpenLoopFigures:
    """One open-loop window: what was due, what came back, and how long it took."""

    rate: float
    seconds: float
    due: int
    sent: int
    never_sent: int
    statuses: dict[int, int] = field(default_factory=dict)
    connection_errors: int = 0
    timeouts: int = 0
    refused_without_retry_after: int = 0
    # From the window's start to the last answer: past `seconds` when answers lagged the rate.
    elapsed: float = 0.0
    # Percentiles (50, 90, 99, 99.9, 100) in ms, measured from when each request was due.
    ok_ms: dict[str, float] = field(default_factory=dict)
    refused_ms: dict[str, float] = field(default_factory=dict)

    @property
    def ok_per_second(self) -> float:
        """2xx answers per second, over the window or as long as answers kept coming: the goodput.

        A server that answers slower than the rate is still answering the window's requests
        after it ends; dividing by the window alone would count that work as if done in it.
        """
        ok = sum(n for status, n in self.statuses.items() if 200 <= status < 300)
        return ok / max(self.seconds, self.elapsed)

    @property
    def refused(self) -> int:
        """503 answers."""
        return self.statuses.get(503, 0)

    @property
    def other(self) -> int:
        """Answers that are neither 2xx nor 503."""
        return sum(n for s, n in self.statuses.items() if not (200 <= s < 300 or s == 503))


def build_generator(scratch: Path) -> Path:
    """Compile openloop.c into scratch (once per source version)."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        msg = "no C compiler for the open-loop generator: `apt-get install -y gcc`"
        raise GeneratorUnavailableError(msg)
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    binary = scratch / f"openloop-{digest}"
    if not binary.is_file():
        scratch.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [compiler, "-O2", "-o", str(binary), str(SOURCE)],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return binary


def run_open_loop(
    binary: Path,
    port: int,
    path: str,
    *,
    rate: float,
    seconds: float,
    connections: int,
    timeout_ms: int = 10_000,
) -> OpenLoopFigures:
    """Offer `rate` requests/s of GET path on 127.0.0.1:port for `seconds`."""
    completed = subprocess.run(
        [
            str(binary),
            "127.0.0.1",
            str(port),
            path,
            f"{rate:.0f}",
            f"{seconds:g}",
            str(connections),
            str(timeout_ms),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + timeout_ms / 1000 + EXTRA_SECONDS,
    )
    return parse_open_loop(completed.stdout, rate=rate)


def parse_open_loop(output: str, *, rate: float) -> OpenLoopFigures:
    """Figures from the generator's `key value` lines."""
    values: dict[str, str] = {}
    for line in output.splitlines():
        key, _, value = line.partition(" ")
        if value:
            values[key] = value
    try:
        return OpenLoopFigures(
            rate=rate,
            seconds=float(values["seconds"]),
            due=int(values["due"]),
            sent=int(values["sent"]),
            never_sent=int(values["never_sent"]),
            statuses={
                int(key.removeprefix("status_")): int(value)
                for key, value in values.items()
                if key.startswith("status_")
            },
            connection_errors=int(values["connection_errors"]),
            timeouts=int(values["timeouts"]),
            refused_without_retry_after=int(values["refused_without_retry_after"]),
            elapsed=float(values.get("elapsed", "0")),
            ok_ms=_percentiles(values, "ok"),
            refused_ms=_percentiles(values, "refused"),
        )
    except (KeyError, ValueError) as error:
        msg = f"cannot parse the open-loop generator's output ({error}):\n{output}"
        raise ValueError(msg) from error


def _percentiles(values: dict[str, str], name: str) -> dict[str, float]:
    prefix, suffix = f"{name}_p", "_ms"
    return {
        key.removeprefix(prefix).removesuffix(suffix): float(value)
        for key, value in values.items()
        if key.startswith(prefix) and key.endswith(suffix)
    }
