"""Render answer sets once per session and run the validators installed next to the interpreter.

The delivery-artifact tests (Dockerfile, compose, Kubernetes, CI, alert rules, dashboard) share
these helpers: a cached render per answer set, the answers with copier's derived values, and a
runner for the linters whose binaries live in the virtualenv's `bin` directory.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from copier import run_copy

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Answers:
    """The answers a project was rendered with, plus the derived values copier.yml computes."""

    values: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def slug(self) -> str:
        return str(self.values["project_slug"])

    @property
    def http_port(self) -> int:
        return int(self.values["http_port"])

    @property
    def needs_redis(self) -> bool:
        return bool(self["cache"] == "redis" or self["queue"] == "bullmq")

    @property
    def has_worker(self) -> bool:
        return bool(self["queue"] != "none")

    @property
    def has_cpu_pool(self) -> bool:
        return self["workload"] in ("cpu", "mixed")

    @property
    def has_metrics(self) -> bool:
        return "metrics" in self["observability"]

    @property
    def has_tracing(self) -> bool:
        return "tracing" in self["observability"]

    @property
    def has_compose(self) -> bool:
        return "compose" in self["deploy"]

    @property
    def has_kubernetes(self) -> bool:
        return "kubernetes" in self["deploy"]

    @property
    def dependencies(self) -> list[str]:
        """Backing services the answers call for, by their compose/CI service name."""
        names = []
        if self["database"] == "postgres":
            names.append("postgres")
        if self.needs_redis:
            names.append("redis")
        if self["queue"] == "rabbitmq":
            names.append("rabbitmq")
        return names


@dataclass(frozen=True)
class Rendered:
    """A rendered project and the answers that produced it."""

    path: Path
    answers: Answers

    def read(self, relative: str) -> str:
        return (self.path / relative).read_text(encoding="utf-8")

    def yaml(self, relative: str) -> Any:
        return yaml.safe_load(self.read(relative))

    def yaml_documents(self, relative: str) -> list[Any]:
        return [doc for doc in yaml.safe_load_all(self.read(relative)) if doc is not None]

    def exists(self, relative: str) -> bool:
        return (self.path / relative).exists()


def template_snapshot(destination: Path) -> Path:
    """Copy copier.yml and template/ into a plain folder: renders skip cloning the git checkout."""
    shutil.copy2(REPO_ROOT / "copier.yml", destination / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", destination / "template")
    return destination


def render_project(template: Path, destination: Path, data: Mapping[str, Any]) -> Rendered:
    """Render one answer set with copier's Python API and read back the recorded answers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DirtyLocalWarning when rendering from a git checkout
        run_copy(
            str(template),
            destination,
            data=dict(data),
            defaults=True,
            unsafe=True,
            quiet=True,
        )
    recorded = yaml.safe_load((destination / ".copier-answers.yml").read_text(encoding="utf-8"))
    values = {key: value for key, value in recorded.items() if not key.startswith("_")}
    return Rendered(path=destination, answers=Answers(values))


@dataclass(frozen=True)
class ToolResult:
    returncode: int
    output: str


def run_tool(name: str, args: Sequence[str | Path], *, cwd: Path | None = None) -> ToolResult:
    """Run a linter from the virtualenv's bin directory (falling back to PATH, e.g. kubectl)."""
    local = VENV_BIN / name
    executable = str(local) if local.exists() else shutil.which(name)
    assert executable is not None, f"{name} is not installed"
    completed = subprocess.run(
        [executable, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return ToolResult(completed.returncode, completed.stdout + completed.stderr)


def tool_available(name: str) -> bool:
    return (VENV_BIN / name).exists() or shutil.which(name) is not None
