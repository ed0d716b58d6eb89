"""Ctrl-C during `scaffold new` leaves nothing, or a complete committed project and one line.

A real `scaffold new` process gets SIGINT at several points, with a fake `npm` first on PATH that
writes a partial `node_modules` and a lockfile, then hangs like a slow install.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SCAFFOLD = Path(sys.executable).parent / "scaffold"

FAKE_NPM = """#!/bin/sh
echo $$ > "$FAKE_NPM_PID"
mkdir -p node_modules/left-pad
echo 'partial' > node_modules/left-pad/index.js
echo '{"lockfileVersion": 3}' > package-lock.json
exec sleep 60
"""


@dataclass(frozen=True)
class Interrupted:
    returncode: int
    stderr: str
    parent: Path
    npm_pid: int | None


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie (PID 1 here reaps nothing) counts as stopped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1]


def interrupt_new(
    tmp_path: Path, template: Path, *, when: str, delay: float = 0, sig: int = signal.SIGINT
) -> Interrupted:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    npm = bin_dir / "npm"
    npm.write_text(FAKE_NPM)
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    parent = tmp_path / "work"
    parent.mkdir()
    pid_file = tmp_path / "npm.pid"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "SCAFFOLD_TEMPLATE": str(template),
        "FAKE_NPM_PID": str(pid_file),
    }
    process = subprocess.Popen(
        [str(SCAFFOLD), "new", "svc", "--defaults", "--install"],
        cwd=parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        staged = any(".scaffold-" in path.name for path in parent.iterdir())
        if (when == "rendering" and staged) or (when == "installing" and pid_file.exists()):
            break
        time.sleep(0.02)
    time.sleep(delay)
    assert process.poll() is None, "scaffold new ended before it could be interrupted"
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=30)
    npm_pid = int(pid_file.read_text()) if pid_file.exists() else None
    return Interrupted(process.returncode, " ".join(stderr.split()), parent, npm_pid)


def assert_nothing_or_a_complete_committed_project(run: Interrupted) -> None:
    assert run.returncode == 130, run.stderr
    assert "Traceback" not in run.stderr
    assert sorted(path.name for path in run.parent.iterdir()) in ([], ["svc"]), run.stderr
    project = run.parent / "svc"
    if not project.exists():
        assert "Interrupted: nothing was written." in run.stderr
        return
    assert (project / ".copier-answers.yml").is_file()
    assert not (project / "node_modules").exists()
    log = subprocess.run(
        ["git", "log", "--oneline"], cwd=project, capture_output=True, text=True, check=True
    )
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(log.stdout.splitlines()) == 1
    assert status.stdout == ""
    assert "Interrupted: svc is complete and committed; left to do: cd svc && npm install" in (
        run.stderr
    )


def test_when_interrupted_while_rendering_then_nothing_is_left(
    tmp_path: Path, template_copy: Path
) -> None:
    run = interrupt_new(tmp_path, template_copy, when="rendering")

    assert run.returncode == 130, run.stderr
    assert list(run.parent.iterdir()) == []
    assert "Interrupted: nothing was written." in run.stderr


def test_when_interrupted_during_npm_install_then_the_project_is_committed_and_npm_stopped(
    tmp_path: Path, template_copy: Path
) -> None:
    run = interrupt_new(tmp_path, template_copy, when="installing", delay=0.3)

    assert_nothing_or_a_complete_committed_project(run)
    assert (run.parent / "svc").is_dir()
    assert run.npm_pid is not None
    assert not alive(run.npm_pid), "npm was left running"


def test_a_sigterm_during_npm_install_is_handled_like_ctrl_c(
    tmp_path: Path, template_copy: Path
) -> None:
    run = interrupt_new(tmp_path, template_copy, when="installing", sig=signal.SIGTERM)

    assert_nothing_or_a_complete_committed_project(run)
    assert (run.parent / "svc").is_dir()
    assert run.npm_pid is not None
    assert not alive(run.npm_pid), "npm was left running"


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.25, 0.5, 0.75, 1.0, 1.5])
def test_an_interruption_at_any_moment_leaves_nothing_or_a_complete_project(
    tmp_path: Path, template_copy: Path, delay: float
) -> None:
    run = interrupt_new(tmp_path, template_copy, when="rendering", delay=delay)

    assert_nothing_or_a_complete_committed_project(run)
