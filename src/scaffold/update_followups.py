"""What an update leaves to do after the merge: lockfile, compose mounts, migrations, moves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

LOCKFILE_COMMAND = "npm install --package-lock-only --no-audit --no-fund --loglevel=error"


@dataclass(frozen=True)
class Lockfile:
    """What became of package-lock.json after package.json changed."""

    refreshed: bool
    todo: str | None  # the command the user must run, when it was not refreshed
    reason: str = ""


def sync_lockfile(project: Path, *, npm: str | None = None) -> Lockfile:
    """Refresh package-lock.json for a changed package.json, or say the command to run.

    npm runs with its own directory first on PATH, so the Node beside it (a virtualenv's) runs
    it, not another one on PATH.
    """
    npm = npm or _find_npm()
    todo = f"cd {project} && npm install"
    if not (project / "package-lock.json").is_file():
        return Lockfile(refreshed=False, todo=todo, reason="the project has no package-lock.json")
    if npm is None:
        return Lockfile(refreshed=False, todo=todo, reason="npm was not found")
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(npm).parent), os.environ["PATH"]])}
    try:
        completed = subprocess.run(
            [npm, *LOCKFILE_COMMAND.split()[1:]],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        return Lockfile(refreshed=False, todo=todo, reason="npm took more than 10 minutes")
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines()
        errors = [line for line in lines if "npm warn" not in line.lower()] or lines
        return Lockfile(
            refreshed=False, todo=todo, reason=f"{LOCKFILE_COMMAND} failed: {errors[-1]}"
        )
    return Lockfile(refreshed=True, todo=None)


def _find_npm() -> str | None:
    beside_python = Path(sys.executable).parent / "npm"
    return shutil.which("npm") or (str(beside_python) if beside_python.is_file() else None)


def removed_compose_mounts(project: Path) -> list[str]:
    """Files compose.yaml mounts (`./…`) that are not in the project any more."""
    try:
        compose = yaml.safe_load((project / "compose.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    missing: list[str] = []
    services = compose.get("services") if isinstance(compose, dict) else None
    for service in (services or {}).values():
        for volume in (service or {}).get("volumes") or []:
            mounted = (
                volume.get("source") if isinstance(volume, dict) else str(volume).split(":")[0]
            )
            if (
                isinstance(mounted, str)
                and mounted.startswith("./")
                and not (project / mounted).exists()
                and mounted not in missing
            ):
                missing.append(mounted)
    return missing


# Migrations a feature rendered, by the recorded answer that keeps them once rendered, and the
# answer whose change drops the feature: a database that applied them needs them.
FEATURE_MIGRATIONS = {"outbox_migration": ("queue", "migrations/0002_outbox_messages.sql")}


def kept_feature_migrations(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Migrations the update kept although it dropped the feature that rendered them."""
    kept = []
    for recorded, (feature, migration) in FEATURE_MIGRATIONS.items():
        dropped = before.get(feature, "none") != "none" and after.get(feature, "none") == "none"
        if dropped and after.get(recorded) is True:
            kept.append(migration)
    return kept


def kept_files_moved(kept: Sequence[str], created: Sequence[str]) -> dict[str, str]:
    """Where the template moved each kept file, when one new file has the same name.

    A file the user edited is kept where it was when the template removes it; if the template
    moved it instead (a new folder layout), the edits belong in the new file, and the old copy
    still imports from where its neighbours used to be.
    """
    moved = {}
    for path in kept:
        name = PurePosixPath(path).name
        candidates = [new for new in created if PurePosixPath(new).name == name]
        if len(candidates) == 1:
            moved[path] = candidates[0]
    return moved
