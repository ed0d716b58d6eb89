"""Presets: named answer files (YAML) shipped with scaffold."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.errors import UnknownPresetError
from scaffold.questions import load_answers_file


@dataclass(frozen=True)
class Preset:
    """A named set of answers; its description is the file's first comment line."""

    name: str
    description: str
    answers: dict[str, Any]
    path: Path


def list_presets(presets_dir: Path) -> list[Preset]:
    """All presets, sorted by name."""
    return [_read_preset(path) for path in sorted(presets_dir.glob("*.yml"))]


def load_preset(presets_dir: Path, name: str) -> Preset:
    """One preset by name, or a clear error listing the valid names."""
    path = presets_dir / f"{name}.yml"
    if "/" in name or "\\" in name or not path.is_file():
        known = ", ".join(preset.name for preset in list_presets(presets_dir))
        msg = f"Unknown preset '{name}'. Available presets: {known}."
        raise UnknownPresetError(msg)
    return _read_preset(path)


def _read_preset(path: Path) -> Preset:
    first_line = path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
    description = first_line.lstrip("#").strip() if first_line.startswith("#") else ""
    return Preset(
        name=path.stem,
        description=description,
        answers=load_answers_file(path),
        path=path,
    )
