"""The wheel carries the template: installed elsewhere, `scaffold new` works with no checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("scaffold-*.whl")
    return built


def test_the_wheel_contains_the_questionnaire_template_and_presets(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()

    assert "scaffold/_template/copier.yml" in names
    assert "scaffold/_template/presets/api.yml" in names
    assert any(name.startswith("scaffold/_template/template/") for name in names)
    assert not any("node_modules" in name or "__pycache__" in name for name in names)


def test_an_installed_wheel_generates_a_project_from_another_directory(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    completed = subprocess.run(
        [str(venv / "bin" / "scaffold"), "new", "svc", "--defaults", "--no-install"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    project = elsewhere / "svc"
    assert (project / ".copier-answers.yml").is_file()
    assert (project / "package.json").is_file()
    assert (project / ".git").is_dir()


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Release", "-c", "user.email=release@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _build_release(source: Path, tag: str, out: Path) -> Path:
    _git(source, "add", "--all")
    _git(source, "commit", "--quiet", "-m", f"Release {tag}")
    _git(source, "tag", tag)
    out.mkdir()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("scaffold-*.whl")
    return built


def _venv_with(wheel: Path, venv: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv / "bin" / "scaffold"


def test_a_project_from_wheel_v1_updates_with_wheel_v2_on_another_machine(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "hatch_build.py", "README.md", "copier.yml"):
        shutil.copy2(REPO_ROOT / name, source / name)
    for folder in ("src", "template", "resource", "examples"):
        shutil.copytree(
            REPO_ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    _git(source, "init", "--quiet", "--initial-branch=main")
    wheel_v1 = _build_release(source, "v1.0.0", tmp_path / "wheel-v1")
    (source / "template" / "docs").mkdir(exist_ok=True)
    (source / "template" / "docs" / "upgrading.md").write_text("# Upgrading\n\nNew in v2.\n")
    wheel_v2 = _build_release(source, "v2.0.0", tmp_path / "wheel-v2")
    shutil.rmtree(source)  # neither machine can see the source tree
    scaffold_v1 = _venv_with(wheel_v1, tmp_path / "venv-v1")
    scaffold_v2 = _venv_with(wheel_v2, tmp_path / "venv-v2")
    machine_1 = {**os.environ, "HOME": str(tmp_path / "home-1")}
    machine_2 = {**os.environ, "HOME": str(tmp_path / "home-2")}
    work = tmp_path / "work"
    work.mkdir()

    generated = subprocess.run(
        [str(scaffold_v1), "new", "svc", "--defaults", "--no-install"],
        cwd=work,
        env=machine_1,
        capture_output=True,
        text=True,
        check=False,
    )
    project = work / "svc"
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur team's own section.\n")
    _git(project, "commit", "--quiet", "-am", "Team edits")
    updated = subprocess.run(
        [str(scaffold_v2), "update", str(project), "--defaults"],
        cwd=work,
        env=machine_2,
        capture_output=True,
        text=True,
        check=False,
    )

    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "v1.0.0" in updated.stdout
    assert "v2.0.0" in updated.stdout
    assert (project / "docs" / "upgrading.md").read_text() == "# Upgrading\n\nNew in v2.\n"
    assert readme.read_text().endswith("\nOur team's own section.\n")
