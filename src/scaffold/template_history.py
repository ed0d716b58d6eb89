"""The template's release history: which versions exist, and which one is newer.

A version is what copier records as `_commit`: `git describe --tags --always` of the template,
so a release tag (`v0.2.0`) or a commit past one (`v0.2.0-3-gabc1234`). The history is a git
repository (a checkout) or a git bundle (what the wheel carries); a bundle is cloned, bare, into
a temporary directory to be read.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from scaffold.errors import TemplateVersionError
from scaffold.git_repo import git_output, run_git

_DESCRIBED = re.compile(r"^(?P<tag>.+)-(?P<distance>\d+)-g(?P<sha>[0-9a-f]+)$")


@dataclass(frozen=True)
class TemplateHistory:
    """A template's git history, read-only."""

    git_dir: Path

    def commit(self, ref: str) -> str | None:
        """The full commit a version or ref names, or None when the history has none."""
        completed = self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        return completed.stdout.strip() or None if completed.returncode == 0 else None

    def describe(self, ref: str) -> str:
        """The version copier records for `ref` (its `git describe --tags --always`)."""
        return self._git("describe", "--tags", "--always", ref).stdout.strip()

    def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether commit `older` is in the history of commit `newer`."""
        return self._git("merge-base", "--is-ancestor", older, newer).returncode == 0

    def releases(self) -> list[str]:
        """The release tags, oldest first (tags that are not versions are left out)."""
        tags = self._git("tag", "--list").stdout.split()
        return sorted((tag for tag in tags if release_version(tag)), key=_sort_key)

    def _git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_git(None, "--git-dir", str(self.git_dir), *args)


def release_version(described: str) -> tuple[Version, int] | None:
    """A recorded version as (release, commits past it); None when it names no release."""
    match = _DESCRIBED.match(described)
    tag, distance = (match["tag"], int(match["distance"])) if match else (described, 0)
    try:
        return Version(tag), distance
    except InvalidVersion:
        return None


def _sort_key(tag: str) -> tuple[Version, int]:
    version = release_version(tag)
    assert version is not None  # releases() keeps only tags that are versions
    return version


@contextmanager
def open_history(src_path: str) -> Iterator[TemplateHistory]:
    """The history of a template source: a git checkout, or a bundle (cloned to read it)."""
    path = Path(src_path).expanduser()
    if path.is_dir():
        git_dir = git_output(path, "rev-parse", "--absolute-git-dir")
        if git_dir is None:
            msg = f"The template at {src_path} has no git history, so it has no versions."
            raise TemplateVersionError(msg)
        yield TemplateHistory(Path(git_dir.strip()))
        return
    if not path.is_file():
        msg = f"The template history {src_path} does not exist."
        raise TemplateVersionError(msg)
    with tempfile.TemporaryDirectory(prefix="scaffold-history-") as scratch:
        clone = Path(scratch) / "history.git"
        completed = run_git(None, "clone", "--quiet", "--bare", str(path), str(clone))
        if completed.returncode != 0:
            msg = f"The template history {src_path} cannot be read: {completed.stderr.strip()}"
            raise TemplateVersionError(msg)
        yield TemplateHistory(clone)
