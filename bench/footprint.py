"""Production dependencies of a preset as its image ships them, then their size and count.

The project's Dockerfile says how: the RUN lines of its `deps` stage (`npm ci --omit=dev` and
whatever it prunes) are replayed in a scratch copy, so the figure follows the Dockerfile. A
project without that stage gets a plain `npm ci --omit=dev`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from bench.node_env import run_command

MIB = 1024 * 1024
# The Dockerfile stage that installs the production dependencies the image copies.
DEPS_STAGE = "deps"


@dataclass(frozen=True)
class Footprint:
    """Size on disk and package count of the production node_modules."""

    preset: str
    node_modules_mib: float
    packages: int
    install_seconds: float
    installed_by: str


def production_footprint(preset: str, project: Path, scratch: Path) -> Footprint:
    """Install the project's production dependencies in a scratch copy and measure them."""
    copy = scratch / f"footprint-{preset}"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(project / name, copy / name)
    dockerfile = project / "Dockerfile"
    stage = dockerfile_stage(dockerfile, DEPS_STAGE) if dockerfile.is_file() else None
    started = time.monotonic()
    if stage is None:
        installed_by = "npm ci --omit=dev"
        run_command(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"], cwd=copy, timeout=900)
    else:
        installed_by = f"Dockerfile `{DEPS_STAGE}` stage"
        for command in stage.commands:
            run_command(["sh", "-c", command], cwd=copy, timeout=900, env=stage.env)
    elapsed = time.monotonic() - started
    node_modules = copy / "node_modules"
    return Footprint(
        preset=preset,
        node_modules_mib=disk_usage_bytes(node_modules) / MIB,
        packages=installed_package_count(node_modules),
        install_seconds=elapsed,
        installed_by=installed_by,
    )


@dataclass(frozen=True)
class DockerStage:
    """The RUN commands and ENV values of one build stage of a Dockerfile."""

    commands: list[str]
    env: dict[str, str]


def dockerfile_stage(dockerfile: Path, name: str) -> DockerStage | None:
    """Parse the stage `FROM ... AS <name>`; None when the Dockerfile has no such stage.

    Continuation lines are joined and BuildKit flags of RUN (`--mount=...`) dropped, which is all
    the generated Dockerfiles use; COPY lines are the caller's job (the lockfile copy).
    """
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    commands: list[str] = []
    env: dict[str, str] = {}
    inside = found = False
    for line in text.splitlines():
        instruction, _, rest = line.strip().partition(" ")
        keyword = instruction.upper()
        if keyword == "FROM":
            inside = re.search(rf"\s+AS\s+{re.escape(name)}\s*$", rest, re.IGNORECASE) is not None
            found = found or inside
        elif inside and keyword == "RUN":
            commands.append(re.sub(r"^(--\S+\s+)+", "", rest.strip()))
        elif inside and keyword == "ENV":
            env.update(re.findall(r"(\w+)=(\S+)", rest))
    return DockerStage(commands, env) if found else None


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
