"""Production dependencies of a preset: `npm ci --omit=dev` in a copy, then size and count."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from bench.node_env import run_command

MIB = 1024 * 1024


@dataclass(frozen=True)
class Footprint:
    """Size on disk and package count of the production node_modules."""

    preset: str
    node_modules_mib: float
    packages: int
    npm_ci_seconds: float


def production_footprint(preset: str, project: Path, scratch: Path) -> Footprint:
    """Install the project's lockfile without dev dependencies in a scratch copy and measure it."""
    copy = scratch / f"footprint-{preset}"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(project / name, copy / name)
    started = time.monotonic()
    run_command(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"], cwd=copy, timeout=900)
    elapsed = time.monotonic() - started
    node_modules = copy / "node_modules"
    return Footprint(
        preset=preset,
        node_modules_mib=disk_usage_bytes(node_modules) / MIB,
        packages=installed_package_count(node_modules),
        npm_ci_seconds=elapsed,
    )


def disk_usage_bytes(root: Path) -> int:
    """Allocated size of a tree, like `du -s` (hard links counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for directory, _subdirs, files in os.walk(root):
        for name in [*files, "."]:
            status = os.lstat(os.path.join(directory, name))
            key = (status.st_dev, status.st_ino)
            if key not in seen:
                seen.add(key)
                total += status.st_blocks * 512
    return total


def installed_package_count(node_modules: Path) -> int:
    """Packages npm installed (entries of node_modules/.package-lock.json)."""
    hidden_lock = node_modules / ".package-lock.json"
    if not hidden_lock.is_file():
        return 0
    packages = json.loads(hidden_lock.read_text(encoding="utf-8")).get("packages", {})
    return sum(1 for key in packages if key.startswith("node_modules/") or "/node_modules/" in key)
