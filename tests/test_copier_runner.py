"""Every call into copier goes through one runner: no stray warnings, scaffold's own errors.

Each test builds a tiny template in a temporary git repository, as copier's own tests do.
"""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import pytest
from copier import run_copy
from copier.errors import DirtyLocalWarning

from scaffold.copier_runner import copy_template, update_in_place
from scaffold.errors import InvalidAnswerError

IDENTITY = ["-c", "user.name=Dev", "-c", "user.email=dev@example.invalid"]
COPIER_YML = """\
_subdirectory: template
name:
  type: str
  default: orders
  validator: "{% if name != name | lower %}Use lowercase letters{% endif %}"
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *IDENTITY, *args], cwd=cwd, check=True, capture_output=True)


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A released template (v1.0.0) whose checkout has an uncommitted change."""
    root = tmp_path / "template-repo"
    (root / "template").mkdir(parents=True)
    (root / "copier.yml").write_text(COPIER_YML)
    (root / "template" / "{{ _copier_conf.answers_file }}.jinja").write_text(
        "{{ _copier_answers | to_nice_yaml }}"
    )
    (root / "template" / "README.md.jinja").write_text("# {{ name }}\n")
    git(root, "init", "--quiet", "--initial-branch=main")
    commit_all(root, "v1")
    git(root, "tag", "v1.0.0")
    (root / "template" / "README.md.jinja").write_text("# {{ name }} (work in progress)\n")
    return root


def dirty_warnings(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(entry.message) for entry in record if issubclass(entry.category, DirtyLocalWarning)]


def test_rendering_a_checkout_with_uncommitted_changes_warns_nothing(
    template: Path, tmp_path: Path
) -> None:
    with warnings.catch_warnings(record=True) as unfiltered:
        warnings.simplefilter("always")
        run_copy(str(template), tmp_path / "by-copier", defaults=True, quiet=True, vcs_ref="HEAD")
    with warnings.catch_warnings(record=True) as through_scaffold:
        warnings.simplefilter("always")
        copy_template(str(template), tmp_path / "orders", answers={}, vcs_ref="HEAD")

    assert dirty_warnings(unfiltered)  # copier itself warns
    assert dirty_warnings(through_scaffold) == []
    assert (tmp_path / "orders" / "README.md").read_text() == "# orders (work in progress)\n"


def test_a_refused_answer_reads_the_same_on_copy_and_update(template: Path, tmp_path: Path) -> None:
    git(template, "checkout", "--quiet", "--", ".")
    project = tmp_path / "orders"
    copy_template(str(template), project, answers={}, vcs_ref="v1.0.0")
    git(project, "init", "--quiet", "--initial-branch=main")
    commit_all(project, "Generated")

    with pytest.raises(InvalidAnswerError) as on_copy:
        copy_template(str(template), tmp_path / "other", answers={"name": "Orders"}, vcs_ref="HEAD")
    with pytest.raises(InvalidAnswerError) as on_update:
        update_in_place(project, answers={"name": "Orders"}, interactive=False, vcs_ref="HEAD")

    assert on_copy.value.message == "Invalid answer for 'name': Use lowercase letters"
    assert on_update.value.message == on_copy.value.message
