"""The wheel carries the template: installed elsewhere, `scaffold new` works with no checkout."""

from __future__ import annotations

import os
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
