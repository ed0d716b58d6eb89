"""Initialise the generated project as a git repository (updates need a clean, committed tree)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from scaffold.errors import ScaffoldError, ToolMissingError

_FALLBACK_IDENTITY = ("-c", "user.name=scaffold", "-c", "user.email=scaffold@localhost")


def find_git() -> str:
    """The git executable, or a clear error."""
    git = shutil.which("git")
    if git is None:
        msg = "git is not installed: install it, or pass --no-git to skip creating a repository."
        raise ToolMissingError(msg)
    return git


def init_repository(project: Path, *, message: str) -> bool:
    """`git init` the project and commit everything in it as the first commit.

    A project that already is a repository (written with --force) is left alone: False.
    """
    if (project / ".git").exists():
        return False
    git = find_git()
    _git(git, project, "init", "--quiet", "--initial-branch=main")
    _git(git, project, "add", "--all")
    identity = () if _has_identity(git, project) else _FALLBACK_IDENTITY
    _git(git, project, *identity, "commit", "--quiet", "--no-verify", "-m", message)
    return True


def amend_initial_commit(project: Path, *, paths: list[str]) -> None:
    """Add `paths` (e.g. the lockfile npm install wrote) to the project's first commit."""
    git = find_git()
    _git(git, project, "add", "--", *paths)
    identity = () if _has_identity(git, project) else _FALLBACK_IDENTITY
    _git(git, project, *identity, "commit", "--quiet", "--no-verify", "--amend", "--no-edit")


def _has_identity(git: str, project: Path) -> bool:
    probe = subprocess.run(
        [git, "var", "GIT_COMMITTER_IDENT"], cwd=project, capture_output=True, check=False
    )
    return probe.returncode == 0


def _git(git: str, project: Path, *args: str) -> None:
    # Its own session: a Ctrl-C in the terminal never stops git halfway through a commit.
    completed = subprocess.run(
        [git, *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,
    )
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip()
        msg = f"git {args[-1] if args else ''} failed in {project}: {detail}"
        raise ScaffoldError(msg)


def subtree_changes(project: Path) -> list[tuple[str, str]] | None:
    """Uncommitted changes under `project`: (status code, path relative to `project`).

    The project may be any subdirectory of a repository (a monorepo): only its own subtree is
    looked at, and paths are made relative to it (git reports them from the repository root).
    None when git is not installed or `project` is not inside a git repository.
    """
    git = shutil.which("git")
    if git is None:
        return None
    prefix = subprocess.run(
        [git, "rev-parse", "--show-prefix"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if prefix.returncode != 0:
        return None
    status = subprocess.run(
        [git, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if status.returncode != 0:
        detail = status.stderr.strip()
        msg = f"git status failed in {project}: {detail}"
        raise ScaffoldError(msg)
    return _parse_status(status.stdout, prefix=prefix.stdout.strip())


def _parse_status(output: str, *, prefix: str) -> list[tuple[str, str]]:
    changes = []
    entries = iter(output.split("\0"))
    for entry in entries:
        if not entry:
            continue
        code, path = entry[:2], entry[3:]
        if "R" in code or "C" in code:
            next(entries, None)  # the path it was renamed or copied from
        changes.append((code, path.removeprefix(prefix)))
    return changes
