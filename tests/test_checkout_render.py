"""Rendering from a development checkout sees the template, never what lies around it.

The README's first command writes `my-service/`, a git repository, into the clone; copier's own
handling of a dirty local template then records it as a submodule without URL and fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from scaffold.render import render_project
from scaffold.template_source import TemplateSource
from tests.conftest import REPO_ROOT

GIT_IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@example.com"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A template checkout with a generated project (a git repo) and stray files in it."""
    root = tmp_path / "scaffold"
    root.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", root / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", root / "template")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "template")
    git(root, "tag", "v0.1.0")
    nested = root / "my-service"
    nested.mkdir()
    (nested / "package.json").write_text("{}\n")
    git(nested, "init", "--quiet")
    git(nested, "add", "--all")
    git(nested, "commit", "--quiet", "-m", "generated")
    (root / "notes.txt").write_text("untracked, outside the template\n")
    return root


def test_when_a_generated_project_sits_in_the_checkout_then_rendering_ignores_it(
    checkout: Path, tmp_path: Path
) -> None:
    source = TemplateSource(root=checkout, presets_dir=checkout / "examples" / "presets")

    result = render_project(tmp_path / "out" / "svc", answers={}, source=source)

    assert result.written
    assert (result.destination / "package.json").is_file()
    recorded = yaml.safe_load((result.destination / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == str(checkout)
    assert recorded["_commit"] == "v0.1.0"  # a clean checkout: its own tag, usable by updates
    assert not (result.destination / "my-service").exists()
    assert not (result.destination / "notes.txt").exists()


def test_uncommitted_template_changes_and_new_template_files_are_rendered(
    checkout: Path, tmp_path: Path
) -> None:
    readme = checkout / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nAn uncommitted line.\n")
    (checkout / "template" / "NEW.md").write_text("a file created, not yet added\n")
    (checkout / "template" / ".editorconfig").unlink()
    source = TemplateSource(root=checkout, presets_dir=checkout / "examples" / "presets")

    result = render_project(tmp_path / "out" / "svc", answers={}, source=source)

    assert "An uncommitted line." in (result.destination / "README.md").read_text()
    assert (result.destination / "NEW.md").is_file()
    assert not (result.destination / ".editorconfig").exists()
    assert not (result.destination / "my-service").exists()
    assert git(checkout, "status", "--porcelain", "--", "template").count("\n") == 2  # untouched
