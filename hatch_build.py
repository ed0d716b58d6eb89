"""Build hook: ship the template's release history inside the sdist and the wheel.

`scaffold update` needs the template version a project was generated from (to compute what the
user changed) and the new one. The wheel carries both as a git bundle of the repository's
history (HEAD and every release tag), so updates work offline, from any machine, with no
checkout. Releases are built the way `python -m build` does it: an sdist from the git checkout,
then the wheel from the unpacked sdist, where there is no `.git`. So the sdist carries the bundle
(`template.bundle` at its root) and a wheel built from an sdist takes it from there.

Every version the package ever had gets its release tag in the bundle (`v0.1.0`): the
repository's own tag when it has one, otherwise the commit that set that version in
pyproject.toml. Tags are added in a temporary clone; the repository is never changed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

WHEEL_TARGET = "scaffold/_template/template.bundle"
SDIST_TARGET = "template.bundle"


class TemplateHistoryHook(BuildHookInterface):  # type: ignore[type-arg]
    """Add template.bundle to the sdist and the wheel (not to editable installs)."""

    PLUGIN_NAME = "template-history"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Create the bundle from the checkout, or reuse the one an sdist carries."""
        if version == "editable":
            return  # an editable install renders from the checkout itself
        root = Path(self.root)
        target = SDIST_TARGET if self.target_name == "sdist" else WHEEL_TARGET
        if (root / ".git").exists():
            self._workdir = Path(tempfile.mkdtemp(prefix="scaffold-bundle-"))
            bundle = create_bundle(root, self._workdir)
        elif (root / SDIST_TARGET).is_file() and self.target_name != "sdist":
            bundle = root / SDIST_TARGET
        else:
            msg = (
                f"{root} is neither a git checkout nor an sdist carrying {SDIST_TARGET}: a "
                "scaffold built from it could not update the projects it generates. Build from "
                "a git clone (`python -m build`) or from the sdist that makes."
            )
            raise RuntimeError(msg)
        build_data["force_include"][str(bundle)] = target

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary bundle."""
        workdir = getattr(self, "_workdir", None)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def create_bundle(checkout: Path, workdir: Path) -> Path:
    """A bundle of the checkout's HEAD and release tags, one tag for every version it had."""
    clone = workdir / "history.git"
    _git(workdir, "clone", "--quiet", "--bare", "--no-local", str(checkout), str(clone))
    existing = set(_git(clone, "tag", "--list").split())
    for version, commit in _version_commits(clone).items():
        if f"v{version}" not in existing and version not in existing:
            _git(clone, "tag", f"v{version}", commit)
    bundle = workdir / "template.bundle"
    _git(clone, "bundle", "create", "--quiet", str(bundle), "HEAD", "--tags")
    return bundle


def _version_commits(clone: Path) -> dict[str, str]:
    """Each version pyproject.toml ever declared, and the first commit that declared it."""
    changes = _git(
        clone,
        "log",
        "--reverse",
        "--format=%H",
        "-G",
        "^version = ",
        "HEAD",
        "--",
        "pyproject.toml",
    )
    first: dict[str, str] = {}
    for commit in changes.split():
        try:
            declared = tomllib.loads(_git(clone, "show", f"{commit}:pyproject.toml"))
        except (RuntimeError, tomllib.TOMLDecodeError):
            continue  # a commit that removed or broke the file declares no version
        version = declared.get("project", {}).get("version")
        if isinstance(version, str):
            first.setdefault(version, commit)
    return first


def _git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        msg = f"git {' '.join(args[:2])} failed in {cwd}: {completed.stderr.strip()}"
        raise RuntimeError(msg)
    return completed.stdout
