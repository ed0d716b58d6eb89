"""How long scaffold itself takes: `scaffold new` against a plain `copier copy`, `--help`."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.node_env import VENV_BIN, node_environment
from bench.stats import median

TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class CommandTiming:
    """Median wall time of a command over several runs."""

    command: str
    median_ms: float
    runs: int


def time_cli_commands(scratch: Path, runs: int) -> list[CommandTiming]:
    """Each command `runs` times, interleaved, each run into a fresh directory."""
    from scaffold.template_source import find_template_source  # noqa: PLC0415

    source, vcs_ref = find_template_source().copier_source()
    scaffold = str(VENV_BIN / "scaffold")
    copier = str(VENV_BIN / "copier")
    ref_args = ["--vcs-ref", vcs_ref] if vcs_ref else []
    commands: dict[str, Callable[[Path], list[str]]] = {
        "scaffold new DIR --defaults --no-install": lambda d: [
            scaffold,
            "new",
            str(d),
            "--defaults",
            "--no-install",
        ],
        "scaffold new DIR --defaults --no-install --no-git": lambda d: [
            scaffold,
            "new",
            str(d),
            "--defaults",
            "--no-install",
            "--no-git",
        ],
        "copier copy --defaults --quiet TEMPLATE DIR": lambda d: [
            copier,
            "copy",
            "--defaults",
            "--quiet",
            *ref_args,
            source,
            str(d),
        ],
        "scaffold --help": lambda _d: [scaffold, "--help"],
    }
    timings: dict[str, list[float]] = {label: [] for label in commands}
    work = scratch / "cli-timing"
    for run_index in range(runs):
        for index, (label, build_args) in enumerate(commands.items()):
            destination = work / f"run-{run_index}-{index}"
            shutil.rmtree(destination, ignore_errors=True)
            timings[label].append(_time_once(build_args(destination), work))
            shutil.rmtree(destination, ignore_errors=True)
    return [
        CommandTiming(command=label, median_ms=median(values), runs=len(values))
        for label, values in timings.items()
    ]


def _time_once(args: Sequence[str], cwd: Path) -> float:
    cwd.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    subprocess.run(
        list(args),
        cwd=cwd,
        env=node_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=TIMEOUT_SECONDS,
        check=True,
    )
    return (time.monotonic() - started) * 1000
