"""Template migrations: which are rendered, and the recorded answer that keeps one for good."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scaffold.errors import ScaffoldError
from scaffold.questions import check_known, load_questions
from scaffold.render import render_project
from scaffold.template_source import TemplateSource
from tests.conftest import REPO_ROOT


def render(template_copy: Path, destination: Path, **answers: object) -> Path:
    source = TemplateSource(root=template_copy, presets_dir=template_copy / "examples/presets")
    render_project(destination, answers={"project_name": "Orders", **answers}, source=source)
    return destination


def recorded(project: Path) -> dict[str, object]:
    answers: dict[str, object] = yaml.safe_load(
        (project / ".copier-answers.yml").read_text(encoding="utf-8")
    )
    return answers


def test_with_postgres_and_a_queue_the_outbox_migration_is_rendered_and_recorded(
    template_copy: Path, tmp_path: Path
) -> None:
    project = render(template_copy, tmp_path / "p", database="postgres", queue="bullmq")

    assert sorted(path.name for path in (project / "migrations").iterdir()) == [
        "0001_orders_and_idempotency_keys.sql",
        "0002_outbox_messages.sql",
    ]
    assert recorded(project)["outbox_migration"] is True


def test_without_a_queue_there_is_no_outbox_migration_and_nothing_recorded(
    template_copy: Path, tmp_path: Path
) -> None:
    project = render(template_copy, tmp_path / "p", database="postgres", queue="none")

    assert [path.name for path in (project / "migrations").iterdir()] == [
        "0001_orders_and_idempotency_keys.sql"
    ]
    assert "outbox_migration" not in recorded(project)


def test_the_recorded_flag_is_never_asked_and_cannot_be_set() -> None:
    questions = load_questions(REPO_ROOT / "copier.yml")

    flag = next(question for question in questions if question.name == "outbox_migration")

    assert not flag.asked
    with pytest.raises(ScaffoldError, match="derived from other answers"):
        check_known({"outbox_migration": False}, questions, origin="--data")
