"""Render from a development checkout without ever seeing what lies around the template.

Copier renders a local git template by cloning it and, when the working tree is dirty, committing
`git add -A` of that tree in its clone. In a checkout that holds a generated project (the README's
first command writes `my-service/`, a git repository, into the clone) this records the nested
repository as a submodule without a URL, and copier's `git submodule update` fails.

So copier is given a clean copy instead: a local clone of the checkout's HEAD (the same commits
and tags, so the recorded `_commit` means the same in the checkout), with the working tree's
changes to tracked files laid over it, plus untracked files inside the template folder (a file a
template developer has just created). Untracked files anywhere else and nested repositories are
never copied.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from scaffold.errors import ScaffoldError
from scaffold.git_repo import run_git
from scaffold.interrupts import interruptions_deferred


@contextmanager
def clean_template_copy(root: Path) -> Iterator[Path]:
    """A temporary git repository holding what copier should render from `root`; removed after."""
    scratch: Path | None = None
    try:
        with interruptions_deferred():
            scratch = Path(tempfile.mkdtemp(prefix="scaffold-template-"))
        copy = scratch / root.name
        head = _git(root, "rev-parse", "HEAD")
        _git(scratch, "clone", "--quiet", "--no-checkout", "--shared", "--", str(root), str(copy))
        _git(copy, "checkout", "--quiet", "-B", "scaffold-render", head)
        for relative, present in _working_tree_changes(root, _subdirectory(root)):
            target = copy / relative
            if present:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root / relative, target, follow_symlinks=False)
            else:
                target.unlink(missing_ok=True)
        yield copy
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _subdirectory(root: Path) -> str:
    try:
        settings = yaml.safe_load((root / "copier.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return ""
    return str(settings.get("_subdirectory") or "").strip("/")


def _working_tree_changes(root: Path, subdirectory: str) -> Iterator[tuple[str, bool]]:
    """(path, present in the working tree) for each tracked change and wanted untracked file."""
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    entries = iter(status.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":
            original = next(entries, "")
            if code[0] == "R" and original:
                yield original, False
        if path.endswith("/"):
            continue  # a nested git repository: git lists it as one folder, and so do we skip it
        if code == "??" and not (subdirectory and path.startswith(f"{subdirectory}/")):
            continue
        candidate = root / path
        present = candidate.is_symlink() or candidate.is_file()
        if not present and candidate.is_dir():
            continue  # a tracked submodule or a folder where a file was: not template content
        yield path, present


def _git(cwd: Path, *args: str) -> str:
    completed = run_git(cwd, *args)
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip()
        msg = f"Cannot read the template checkout {cwd} (git {args[0]}): {detail}"
        raise ScaffoldError(msg)
    return completed.stdout.strip() if args[0] == "rev-parse" else completed.stdout
