"""Where an update runs: in the project itself (undone on failure), or in a scratch clone.

A project may be any subdirectory of a git repository. A real update runs in place and is
atomic: a snapshot taken first puts the subtree back exactly as it was (index, tracked files,
new files, and the git-ignored files the update touched, such as .env) when anything fails.
`--pretend` runs in a sparse scratch clone of the repository, with the project's uncommitted
changes carried over, so it needs no clean tree and never touches the project.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scaffold.git_repo import SCAFFOLD_IDENTITY, git, subtree_changes


def backout_command(project: Path) -> str:
    """The command that undoes an update of `project`, and nothing outside it."""
    return (
        f"git -C {project} restore --source=HEAD --staged --worktree -- . && "
        f"git -C {project} clean -fd -- ."
    )


@contextmanager
def atomic_subtree(project: Path) -> Iterator[None]:
    """Undo everything done under `project` (clean when entered) if the body raises."""
    before = _ignored_entries(project)
    with tempfile.TemporaryDirectory(prefix="scaffold-update-backup-") as backup_dir:
        backup = Path(backup_dir)
        for entry in before:
            source = project / entry
            if source.is_file() and not source.is_symlink():
                (backup / entry).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, backup / entry)
        try:
            yield
        except BaseException:
            _restore(project, before=before, backup=backup)
            raise


def _restore(project: Path, *, before: set[str], backup: Path) -> None:
    git(project, "restore", "--source=HEAD", "--staged", "--worktree", "--", ".")
    git(project, "clean", "-fdq", "--", ".")
    for entry in _ignored_entries(project) - before:
        path = project / entry
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    for saved in backup.rglob("*"):
        if saved.is_file():
            shutil.copy2(saved, project / saved.relative_to(backup))


def _ignored_entries(project: Path) -> set[str]:
    """Git-ignored files under `project`; wholly ignored folders (node_modules/) as one entry."""
    listed = git(
        project,
        "ls-files",
        "--others",
        "--ignored",
        "--exclude-standard",
        "--directory",
        "-z",
        "--",
        ".",
    )
    return {entry.rstrip("/") for entry in listed.split("\0") if entry}


@contextmanager
def scratch_clone(project: Path) -> Iterator[Path]:
    """A throw-away clone holding `project` as it is now (uncommitted changes included)."""
    top = Path(git(project, "rev-parse", "--show-toplevel").strip())
    prefix = git(project, "rev-parse", "--show-prefix").strip()
    changes = subtree_changes(project) or []
    with tempfile.TemporaryDirectory(prefix="scaffold-pretend-") as scratch:
        clone = Path(scratch) / top.name
        sparse = ["--sparse"] if prefix else []
        git(Path(scratch), "clone", "--quiet", *sparse, str(top), str(clone))
        if prefix:
            git(clone, "sparse-checkout", "set", prefix.rstrip("/"))
        copy = clone / prefix
        for _code, path in changes:
            source, target = project / path, copy / path
            if source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
            else:
                target.unlink(missing_ok=True)
        if changes:
            git(copy, "add", "--all", "--", ".")
            git(
                copy,
                *SCAFFOLD_IDENTITY,
                "commit",
                "--quiet",
                "--no-verify",
                "-m",
                "Uncommitted changes",
            )
        yield copy


def commit_in_scratch(copy: Path, message: str) -> None:
    """Commit everything under `copy` (a scratch clone's project), so copier sees it clean."""
    git(copy, "add", "--all", "--", ".")
    git(copy, *SCAFFOLD_IDENTITY, "commit", "--quiet", "--no-verify", "-m", message)
