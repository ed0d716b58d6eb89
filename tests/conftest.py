"""Shared fixtures: the template root, a CLI runner, a PATH with Node 24 from the test extra."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from typer.testing import CliRunner

from scaffold.cli import app

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    output: str


class RunCli(Protocol):
    def __call__(self, args: Sequence[str], *, cwd: Path | None = None) -> CliResult: ...


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RunCli:
    """Run `scaffold ARGS` in-process from a working directory (default: a fresh tmp dir)."""
    runner = CliRunner()

    def run(args: Sequence[str], *, cwd: Path | None = None) -> CliResult:
        monkeypatch.chdir(cwd or tmp_path)
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return CliResult(exit_code=result.exit_code, output=" ".join(result.output.split()))

    return run


@pytest.fixture(scope="session")
def node_env() -> dict[str, str]:
    """Environment whose PATH finds the test extra's Node 24 before any system Node."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("npm_config_cache", str(Path.home() / ".npm"))
    env["npm_config_update_notifier"] = "false"
    env["npm_config_fund"] = "false"
    return env
