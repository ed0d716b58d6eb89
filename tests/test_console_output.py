"""What `scaffold new` prints: user text never read as markup, a collapsed tree, texts that fit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from scaffold import console
from scaffold.errors import InvalidAnswerError
from scaffold.prompts import rejection_message
from scaffold.questions import load_questions
from scaffold.render import render_project
from scaffold.template_source import TemplateSource
from scaffold.update import UpdateResult
from scaffold.update_followups import kept_files_moved
from tests.conftest import REPO_ROOT, RunCli

COPIER_YML = yaml.safe_load((REPO_ROOT / "copier.yml").read_text(encoding="utf-8"))


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Console:
    recording = Console(width=80, record=True, force_terminal=False)
    monkeypatch.setattr(console, "console", recording)
    return recording


def test_when_answers_are_lists_or_hold_brackets_then_the_summary_shows_them_verbatim(
    captured: Console,
) -> None:
    questions = load_questions(REPO_ROOT / "copier.yml")
    answers = {
        "observability": ["metrics", "tracing"],
        "deploy": ["compose"],
        "description": "Orders [bold]not bold[/] \\[x]",
        "api_docs": True,
    }

    console.print_summary(answers, questions)

    text = captured.export_text()
    assert re.search(r"observability +\[metrics, tracing\]", text)
    assert re.search(r"deploy +\[compose\]", text)
    assert "Orders [bold]not bold[/] \\[x]" in text
    assert re.search(r"api_docs +yes", text)


def test_when_the_tree_is_collapsed_then_each_folder_is_one_line_with_its_file_count(
    captured: Console,
) -> None:
    files = [Path("src/app.ts"), Path("src/routes/a.ts"), Path("docs/x.md"), Path("README.md")]

    console.print_tree(Path("/tmp/svc"), files, title="t", collapsed=True)

    lines = captured.export_text().splitlines()
    assert any(line.endswith("src/ (2 files)") for line in lines)
    assert any(line.endswith("docs/ (1 file)") for line in lines)
    assert any(line.endswith("README.md") for line in lines)
    assert not any("app.ts" in line or "routes" in line for line in lines)


def test_new_shows_the_collapsed_tree_and_pretend_lists_every_file(
    run_cli: RunCli, template_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCAFFOLD_TEMPLATE", str(template_copy))

    created = run_cli(["new", "svc", "-y", "--no-install", "--no-git"])
    pretended = run_cli(["new", "other", "-y", "--pretend"])

    assert created.exit_code == 0, created.output
    assert re.search(r"src/ \(\d+ files\)", created.output)
    assert "order-service.ts" not in created.output
    assert "order-service.ts" in pretended.output


def help_lines() -> list[tuple[str, str]]:
    return [
        (name, line)
        for name, spec in COPIER_YML.items()
        if isinstance(spec, dict) and "help" in spec
        for line in str(spec["help"]).splitlines()
    ]


@pytest.mark.parametrize(("question", "line"), help_lines())
def test_every_help_line_fits_80_columns_after_the_prompt_mark(question: str, line: str) -> None:
    # copier prints "🎤 " (three columns) before a help's first line
    assert len(line) + 3 <= 79, f"{question}: {line!r}"


BREAKING = [
    ("project_name", ""),
    ("project_name", "n" * 81),
    ("project_name", "two\nlines"),
    ("project_name", "a {{ b"),
    ("project_slug", "s" * 64),
    ("project_slug", "x"),
    ("project_slug", "Orders_API"),
    ("project_slug", "npm"),
    ("description", "d" * 201),
    ("description", "tab\there"),
    ("description", "{% x"),
    ("author", "a" * 121),
    ("author", "nul\x00"),
    ("author", "#}"),
    ("http_port", 70000),
]


@pytest.mark.parametrize(("question", "answer"), BREAKING, ids=lambda value: str(value)[:12])
def test_every_validator_message_fits_one_80_column_line(
    template_copy: Path, tmp_path: Path, question: str, answer: object
) -> None:
    source = TemplateSource(root=template_copy, presets_dir=template_copy / "examples/presets")

    with pytest.raises(InvalidAnswerError) as raised:
        render_project(tmp_path / "svc", answers={question: answer}, source=source)

    prefix = f"Invalid answer for '{question}': "
    assert raised.value.message.startswith(prefix)
    reason = raised.value.message[len(prefix) :]
    assert 20 < len(reason) <= 79, reason


def test_a_port_that_is_not_a_number_names_the_rule_not_invalid_input() -> None:
    copier_says = "Invalid input"

    shown = rejection_message(name="http_port", type_name="int", answer="abc", message=copier_says)
    prefixed = rejection_message(
        name="http_port",
        type_name="int",
        answer="0",
        message="Validation error for question 'http_port': The HTTP port must be …",
    )

    assert shown == "'abc' is not a whole number: type digits only."
    assert prefixed == "The HTTP port must be …"


def test_when_a_port_given_with_data_is_not_a_number_then_the_rule_is_named(
    run_cli: RunCli, template_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCAFFOLD_TEMPLATE", str(template_copy))

    result = run_cli(["new", "svc", "-y", "--no-install", "--no-git", "--data", "http_port=abc"])

    assert result.exit_code == 1
    assert "'http_port': 'abc' is not a whole number: type digits only." in result.output
    assert "int()" not in result.output


def test_when_update_kept_an_edited_file_the_template_moved_then_it_names_the_new_place(
    captured: Console, tmp_path: Path
) -> None:
    result = UpdateResult(
        project=tmp_path,
        from_version="v1.0.0",
        to_version="v2.0.0",
        changed=["src/infra/observability/logger.ts", "docs/old-notes.md"],
        conflicts=[],
        kept=["src/infra/logger.ts", "docs/old-notes.md"],
        pretend=False,
        created=["src/infra/observability/logger.ts"],
        kept_moved_to=kept_files_moved(
            ["src/infra/logger.ts", "docs/old-notes.md"], ["src/infra/observability/logger.ts"]
        ),
    )

    console.print_update(result)

    text = " ".join(captured.export_text().split())
    assert (
        "kept src/infra/logger.ts: the template moved it to src/infra/observability/logger.ts; "
        "port your changes there, then delete this copy."
    ) in text
    assert "kept docs/old-notes.md: the template no longer has it, but you changed it" in text


def test_a_kept_file_counts_as_moved_only_when_one_new_file_has_its_name() -> None:
    kept = ["src/infra/logger.ts", "src/infra/metrics.ts", "docs/notes.md"]
    created = ["src/infra/observability/logger.ts", "a/metrics.ts", "b/metrics.ts"]

    assert kept_files_moved(kept, created) == {
        "src/infra/logger.ts": "src/infra/observability/logger.ts"
    }
