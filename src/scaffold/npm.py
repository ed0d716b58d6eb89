"""Run npm for a generated project."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import InstallError, ToolMissingError


@dataclass(frozen=True)
class InstallResult:
    """A successful `npm install`."""

    seconds: float


def find_npm() -> str | None:
    """The npm executable on PATH, if any."""
    return shutil.which("npm")


def require_npm() -> str:
    """The npm executable, or a clear error saying how to go on without it."""
    npm = find_npm()
    if npm is None:
        msg = (
            "npm was not found on PATH: install Node.js (24 LTS) or pass --no-install "
            "and run `npm install` later."
        )
        raise ToolMissingError(msg)
    return npm


def npm_install(project: Path, *, npm: str) -> InstallResult:
    """Install the project's dependencies, writing its package-lock.json."""
    started = time.monotonic()
    completed = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-15:])
        msg = (
            f"npm install failed (exit {completed.returncode}); the project is in {project}. "
            f"Fix the problem below and run `npm install` there.\n{tail}"
        )
        raise InstallError(msg)
    return InstallResult(seconds=time.monotonic() - started)
