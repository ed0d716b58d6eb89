"""Reuse a scratch build when its inputs did not change (a stamp file holds their hash)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

STAMP_NAME = ".bench-build-stamp"


def inputs_digest(parts: Iterable[str | bytes]) -> str:
    """A SHA-256 over the given parts, in order."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def directory_digest(root: Path) -> str:
    """A SHA-256 over every file's relative path and content under root."""
    files = sorted(path for path in root.rglob("*") if path.is_file())
    return inputs_digest(
        part for path in files for part in (str(path.relative_to(root)), path.read_bytes())
    )


def is_current(directory: Path, digest: str) -> bool:
    """Whether directory holds a finished build of exactly these inputs."""
    stamp = directory / STAMP_NAME
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest


def mark_current(directory: Path, digest: str) -> None:
    """Record that directory holds a finished build of these inputs."""
    (directory / STAMP_NAME).write_text(digest + "\n", encoding="utf-8")
