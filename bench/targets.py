"""What a benchmark target is once built: how to start it and which request to measure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# Given the port of a running target, make it ready for load and return the path to measure.
PrepareRoute = Callable[[int], str]


@dataclass(frozen=True)
class BuiltTarget:
    """A target installed and built in its scratch directory, ready to start."""

    name: str
    label: str
    kind: Literal["peer", "preset"]
    directory: Path
    command: tuple[str, ...]
    route: str
    prepare_route: PrepareRoute
    ready_path: str = "/"
    env: Mapping[str, str] = field(default_factory=dict)
    request_headers: Mapping[str, str] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SkippedTarget:
    """A target that could not be built or booted, and why."""

    name: str
    reason: str
