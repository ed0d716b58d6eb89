"""Every git command scaffold runs, and the repository of a generated project.

`run_git` is the one place a git process starts: in its own session, so a Ctrl-C in the terminal
never stops git halfway through a commit (Python still sees it, and stops waiting). `git` raises
when the command fails, `git_output` returns None; a new project gets its first commit here, and
`subtree_changes` is what "uncommitted changes in the project" means to every command.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from scaffold.errors import ScaffoldError, ToolMissingError

# For commits scaffold makes itself when the user has no git identity (and in scratch clones).
SCAFFOLD_IDENTITY = ("-c", "user.name=scaffold", "-c", "user.email=scaffold@localhost")


def find_git() -> str:
    """The git executable for `scaffold new`, or an error that offers --no-git."""
    git_executable = shutil.which("git")
    if git_executable is None:
        msg = "git is not installed: install it, or pass --no-git to skip creating a repository."
        raise ToolMissingError(msg)
    return git_executable


def _git_executable() -> str:
    git_executable = shutil.which("git")
    if git_executable is None:
        msg = "git is not installed: install it and run the command again."
        raise ToolMissingError(msg)
    return git_executable


def run_git(cwd: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `git ARGS` in `cwd`; the caller reads its exit code. ToolMissingError without git."""
    return subprocess.run(
        [_git_executable(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,
    )


def git(cwd: Path, *args: str) -> str:
    """The output of `git ARGS` in `cwd`; a failure is a ScaffoldError naming the command."""
    completed = run_git(cwd, *args)
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip()
        msg = f"git {' '.join(args[:2])} failed in {cwd}: {detail}"
        raise ScaffoldError(msg)
    return completed.stdout


def git_output(cwd: Path, *args: str) -> str | None:
    """The output of `git ARGS` in `cwd`, or None when it fails or git is not installed."""
    try:
        completed = run_git(cwd, *args)
    except (ToolMissingError, OSError):
        return None
    return completed.stdout if completed.returncode == 0 else None


def committed_bytes(cwd: Path, path: str) -> bytes:
    """The content of `path` (relative to `cwd`) in the last commit; b"" when it has none."""
    completed = subprocess.run(
        [_git_executable(), "show", f"HEAD:./{path}"],
        cwd=cwd,
        capture_output=True,
        check=False,
        start_new_session=True,
    )
    return completed.stdout


def is_tracked(cwd: Path, path: str) -> bool:
    """Whether `path` is in git's index."""
    return git_output(cwd, "ls-files", "--error-unmatch", "--", path) is not None


def init_repository(project: Path, *, message: str) -> bool:
    """`git init` the project and commit everything in it as the first commit.

    A project that already is a repository (written with --force) is left alone: False.
    """
    if (project / ".git").exists():
        return False
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "--all")
    git(project, *_identity(project), "commit", "--quiet", "--no-verify", "-m", message)
    return True


def amend_initial_commit(project: Path, *, paths: list[str]) -> None:
    """Add `paths` (e.g. the lockfile npm install wrote) to the project's first commit."""
    git(project, "add", "--", *paths)
    git(project, *_identity(project), "commit", "--quiet", "--no-verify", "--amend", "--no-edit")


def _identity(project: Path) -> tuple[str, ...]:
    has_identity = run_git(project, "var", "GIT_COMMITTER_IDENT").returncode == 0
    return () if has_identity else SCAFFOLD_IDENTITY


def subtree_changes(project: Path) -> list[tuple[str, str]] | None:
    """Uncommitted changes under `project`: (status code, path relative to `project`).

    The project may be any subdirectory of a repository (a monorepo): only its own subtree is
    looked at, and paths are made relative to it (git reports them from the repository root).
    None when git is not installed or `project` is not inside a git repository.
    """
    prefix = git_output(project, "rev-parse", "--show-prefix")
    if prefix is None:
        return None
    status = git(project, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    return _parse_status(status, prefix=prefix.strip())


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
