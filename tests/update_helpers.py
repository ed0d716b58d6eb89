"""Template histories for update tests: the real template in a temporary, tagged git repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from scaffold.git_repo import init_repository
from scaffold.render import render_project
from scaffold.template_source import TemplateSource
from tests.conftest import REPO_ROOT

IDENTITY = ["-c", "user.name=Template Dev", "-c", "user.email=dev@example.invalid"]


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return completed.stdout


def release(repo: Path, tag: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", f"Release {tag}")
    git(repo, "tag", tag)


def make_template_repo(repo: Path) -> TemplateSource:
    """The template as it is now, with a team-notes doc, released as v1.0.0."""
    repo.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", repo / "template")
    shutil.copytree(REPO_ROOT / "examples", repo / "examples")
    shutil.copytree(REPO_ROOT / "resource", repo / "resource")
    (repo / "template" / "docs").mkdir(exist_ok=True)
    (repo / "template" / "docs" / "team-notes.md").write_text("# Team notes\n\nOn-call: TBD\n")
    git(repo, "init", "--quiet", "--initial-branch=main")
    release(repo, "v1.0.0")
    return TemplateSource(root=repo, presets_dir=repo / "examples" / "presets")


def generate(source: TemplateSource, destination: Path, **answers: object) -> Path:
    """Render a project and commit it as its own repository."""
    render_project(destination, answers={"project_name": "Orders", **answers}, source=source)
    init_repository(destination, message="Generated")
    return destination


def generate_in_monorepo(source: TemplateSource, monorepo: Path, subdir: str) -> Path:
    """Render a project into `subdir` of a larger repository, and commit the whole repository."""
    monorepo.mkdir()
    git(monorepo, "init", "--quiet", "--initial-branch=main")
    (monorepo / "README.md").write_text("# Company monorepo\n")
    project = monorepo / subdir
    render_project(project, answers={"project_name": "Orders"}, source=source)
    git(monorepo, "add", "--all")
    git(monorepo, "commit", "--quiet", "-m", "Add the orders service")
    return project


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "--all", "--", ".")
    git(project, "commit", "--quiet", "-m", message)
