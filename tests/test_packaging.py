"""Release artifacts: what `python -m build` makes generates projects that later updates reach.

Releases are built as `python -m build` does it (an sdist from the checkout, then the wheel from
the unpacked sdist, with no `.git`), installed into fresh virtualenvs, and run from directories
that see no source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from scaffold.errors import ScaffoldError
from scaffold.template_source import TemplateSource
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

SOURCE_FILES = ("pyproject.toml", "hatch_build.py", "README.md", "copier.yml")
SOURCE_FOLDERS = ("src", "template", "resource", "examples")


def build(source: Path, out: Path) -> tuple[Path, Path]:
    """`python -m build`: the sdist, and the wheel built from it."""
    completed = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "cannot update" not in completed.stdout + completed.stderr
    (sdist,) = out.glob("scaffold-*.tar.gz")
    (wheel,) = out.glob("scaffold-*.whl")
    return sdist, wheel


def venv_with(artifact: Path, venv: Path) -> Path:
    """A fresh virtualenv with `artifact` (a wheel or an sdist) installed; its scaffold."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(artifact)],
        check=True,
        capture_output=True,
    )
    return venv / "bin" / "scaffold"


def machine(home: Path) -> dict[str, str]:
    """The environment of another machine: its own HOME, no PYTHONPATH into this checkout."""
    home.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return {**env, "HOME": str(home)}


def run(command: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Release", "-c", "user.email=release@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build(REPO_ROOT, tmp_path_factory.mktemp("dist"))


def test_the_sdist_and_the_wheel_carry_the_template_and_its_tagged_history(
    artifacts: tuple[Path, Path], tmp_path: Path
) -> None:
    sdist, wheel = artifacts
    names = zipfile.ZipFile(wheel).namelist()
    with tarfile.open(sdist) as archive:
        sdist_names = archive.getnames()
    zipfile.ZipFile(wheel).extract("scaffold/_template/template.bundle", tmp_path)
    heads = _git(tmp_path, "bundle", "list-heads", "scaffold/_template/template.bundle")

    assert "scaffold/_template/copier.yml" in names
    assert "scaffold/_template/presets/api.yml" in names
    assert "scaffold/_template/template.bundle" in names
    assert any(name.startswith("scaffold/_template/template/") for name in names)
    assert not any("node_modules" in name or "__pycache__" in name for name in names)
    assert any(name.endswith("/template.bundle") for name in sdist_names)
    assert "refs/tags/v0.1.0" in heads


def test_the_installed_wheel_generates_a_project_that_updates(
    artifacts: tuple[Path, Path], tmp_path: Path
) -> None:
    _sdist, wheel = artifacts
    scaffold = venv_with(wheel, tmp_path / "venv")
    env = machine(tmp_path / "home")
    work = tmp_path / "work"
    work.mkdir()

    generated = run([str(scaffold), "new", "svc", "--defaults", "--no-install"], cwd=work, env=env)
    updated = run(
        [str(scaffold), "update", "svc", "--defaults", "--data", "ci=gitlab"], cwd=work, env=env
    )

    assert generated.returncode == 0, generated.stdout + generated.stderr
    recorded = yaml.safe_load((work / "svc" / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == "~/.cache/scaffold/template.bundle"
    assert str(recorded["_commit"]).startswith("v0.1.0")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert (work / "svc" / ".gitlab-ci.yml").is_file()
    assert "No conflicts" in updated.stdout


def test_a_scaffold_installed_from_the_sdist_generates_projects_that_update(
    artifacts: tuple[Path, Path], tmp_path: Path
) -> None:
    sdist, _wheel = artifacts
    scaffold = venv_with(sdist, tmp_path / "venv")
    env = machine(tmp_path / "home")
    work = tmp_path / "work"
    work.mkdir()

    generated = run([str(scaffold), "new", "svc", "--defaults", "--no-install"], cwd=work, env=env)
    updated = run(
        [str(scaffold), "update", "svc", "--defaults", "--data", "license=MIT"], cwd=work, env=env
    )

    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "Template v0.1.0" in updated.stdout


def test_a_scaffold_without_its_template_history_refuses_to_generate(tmp_path: Path) -> None:
    source = TemplateSource(root=tmp_path, presets_dir=tmp_path, installed=True)

    with pytest.raises(ScaffoldError, match="could never be updated"):
        source.copier_source()


def test_a_build_from_a_tree_with_neither_git_nor_an_sdist_history_fails_loudly(
    tmp_path: Path,
) -> None:
    source = _source_tree(tmp_path / "source")

    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode != 0
    assert "could not update the projects it generates" in completed.stdout + completed.stderr


def _source_tree(source: Path) -> Path:
    source.mkdir()
    for name in SOURCE_FILES:
        shutil.copy2(REPO_ROOT / name, source / name)
    for folder in SOURCE_FOLDERS:
        shutil.copytree(
            REPO_ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    return source


def _bump(source: Path, version: str) -> None:
    pyproject = source / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace('version = "0.1.0"', f'version = "{version}"', 1))


def test_release_v0_1_0_updates_to_v0_2_0_on_another_machine_and_plain_copier_follows(
    tmp_path: Path,
) -> None:
    source = _source_tree(tmp_path / "source")
    _git(source, "init", "--quiet", "--initial-branch=main")
    _git(source, "add", "--all")
    _git(source, "commit", "--quiet", "-m", "Release 0.1.0")  # untagged: the hook tags it
    _sdist, wheel_v1 = build(source, tmp_path / "dist-v1")
    _bump(source, "0.2.0")
    (source / "template" / "docs").mkdir(exist_ok=True)
    (source / "template" / "docs" / "upgrading.md").write_text("# Upgrading\n\nNew in v2.\n")
    _git(source, "add", "--all")
    _git(source, "commit", "--quiet", "-m", "Release 0.2.0")
    _sdist, wheel_v2 = build(source, tmp_path / "dist-v2")
    shutil.rmtree(source)  # no machine can see the source tree
    scaffold_v1 = venv_with(wheel_v1, tmp_path / "venv-v1")
    scaffold_v2 = venv_with(wheel_v2, tmp_path / "venv-v2")
    machine_1, machine_2 = machine(tmp_path / "home-1"), machine(tmp_path / "home-2")
    work = tmp_path / "work"
    work.mkdir()
    for name in ("svc", "other"):
        created = run(
            [str(scaffold_v1), "new", name, "--defaults", "--no-install"], cwd=work, env=machine_1
        )
        assert created.returncode == 0, created.stdout + created.stderr
    readme = work / "svc" / "README.md"
    readme.write_text(readme.read_text() + "\nOur team's own section.\n")
    _git(work / "svc", "commit", "--quiet", "-am", "Team edits")

    updated = run(
        [str(scaffold_v2), "update", "svc", "--defaults", "--vcs-ref", "v0.2.0"],
        cwd=work,
        env=machine_2,
    )
    _git(work / "svc", "add", "--all")
    _git(work / "svc", "commit", "--quiet", "-m", "Update to v0.2.0")
    # The older scaffold runs on machine 2 too: the published history must keep v0.2.0.
    older = run(
        [str(scaffold_v1), "new", "third", "--defaults", "--no-install"], cwd=work, env=machine_2
    )
    published = Path(machine_2["HOME"]) / ".cache" / "scaffold" / "template.bundle"
    copier = str(tmp_path / "venv-v2" / "bin" / "copier")
    plain_other = run([copier, "update", "--defaults"], cwd=work / "other", env=machine_2)
    plain_svc = run([copier, "update", "--defaults"], cwd=work / "svc", env=machine_2)

    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "Template v0.1.0 → v0.2.0" in updated.stdout
    assert (work / "svc" / "docs" / "upgrading.md").read_text() == "# Upgrading\n\nNew in v2.\n"
    assert readme.read_text().endswith("\nOur team's own section.\n")
    assert older.returncode == 0, older.stdout + older.stderr
    assert "refs/tags/v0.2.0" in _git(work, "bundle", "list-heads", str(published))
    assert plain_other.returncode == 0, plain_other.stderr
    assert (work / "other" / "docs" / "upgrading.md").is_file()
    assert plain_svc.returncode == 0, plain_svc.stderr
    assert "Traceback" not in plain_svc.stderr
