"""examples/minimal-service is exactly what the template renders for the minimal preset.

Regenerate it after changing the template with:
    SCAFFOLD_REGENERATE_EXAMPLE=1 python -m pytest tests/test_rendered_example.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from scaffold.render import render_project
from scaffold.template_source import PUBLISHED_BUNDLE
from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "minimal-service"
# Which template commit rendered it, and from where, differ between checkouts: not compared.
_VOLATILE_ANSWERS = ("_commit", "_src_path")


def _files(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): _normalised(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _normalised(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.name != ".copier-answers.yml":
        return text
    return "".join(
        line for line in text.splitlines(keepends=True) if not line.startswith(_VOLATILE_ANSWERS)
    )


def test_the_rendered_example_matches_the_template(
    tmp_path: Path, template_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = yaml.safe_load((EXAMPLE / ".copier-answers.yml").read_text())
    answers = {key: value for key, value in recorded.items() if not key.startswith("_")}
    monkeypatch.setenv("SCAFFOLD_TEMPLATE", str(template_copy))

    render_project(tmp_path / "minimal-service", answers=answers)

    rendered = tmp_path / "minimal-service"

    if os.environ.get("SCAFFOLD_REGENERATE_EXAMPLE"):
        shutil.rmtree(EXAMPLE)
        shutil.copytree(rendered, EXAMPLE)
        # Record where an installed scaffold renders from, not this test's temporary copy.
        answers_file = EXAMPLE / ".copier-answers.yml"
        answers_file.write_text(
            "".join(
                f"_src_path: {PUBLISHED_BUNDLE}\n" if line.startswith("_src_path:") else line
                for line in answers_file.read_text(encoding="utf-8").splitlines(keepends=True)
            ),
            encoding="utf-8",
        )

    assert _files(EXAMPLE) == _files(rendered)
