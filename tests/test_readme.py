"""The README stays true: its commands use real flags, its tables match copier.yml and presets."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from scaffold.presets import list_presets
from scaffold.questions import asked_questions, load_questions
from tests.conftest import REPO_ROOT, RunCli

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def code_lines() -> list[str]:
    blocks = re.findall(r"```(?:sh|bash)\n(.*?)```", README, flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines()]


def scaffold_commands() -> list[list[str]]:
    commands = []
    for line in code_lines():
        for part in re.split(r"&&|;", line.split("  #")[0]):
            words = shlex.split(part)
            for index, word in enumerate(words):
                if word == "scaffold" or word.endswith("/scaffold"):
                    commands.append(words[index + 1 :])
    return commands


def table_rows(heading: str) -> list[list[str]]:
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


@pytest.mark.parametrize("command", scaffold_commands(), ids=" ".join)
def test_every_flag_in_a_readme_command_exists_in_help(run_cli: RunCli, command: list[str]) -> None:
    subcommand = [word for word in command[:1] if not word.startswith("-")]
    help_text = run_cli([*subcommand, "--help"]).output

    for word in command:
        if word.startswith("-"):
            flag = word.split("=")[0]
            assert flag in help_text, f"{flag} is not an option of scaffold {subcommand}"


def test_the_readme_shows_the_two_setup_commands() -> None:
    lines = code_lines()

    assert any("scaffold new" in line and "--defaults" in line for line in lines)
    assert any("'.[test,dev]'" in line and "pytest" in line for line in lines)


def test_the_questions_table_lists_every_question_with_its_choices_and_default() -> None:
    questions = asked_questions(load_questions(REPO_ROOT / "copier.yml"))
    rows = table_rows("Questions")

    assert [row[0].strip("`") for row in rows] == [question.name for question in questions]
    for question, row in zip(questions, rows, strict=True):
        for value in question.choices.values():
            assert f"`{value}`" in row[1], f"{question.name}: choice {value} missing"
        default = question.default
        if isinstance(default, list):
            assert f"`[{', '.join(default)}]`" == row[2]
        elif isinstance(default, bool):
            assert f"`{str(default).lower()}`" == row[2]
        elif default and "{{" not in str(default):
            assert f"`{default}`" == row[2]


def test_the_presets_table_matches_the_preset_files() -> None:
    presets = {preset.name: preset for preset in list_presets(REPO_ROOT / "examples" / "presets")}
    rows = {row[0].strip("`"): row[1] for row in table_rows("Presets")}

    assert sorted(rows) == sorted(presets)
    for name, description in rows.items():
        assert description.rstrip(".").lower() == presets[name].description.rstrip(".").lower()


def test_the_ci_script_runs_the_readme_test_command() -> None:
    ci = Path(REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")

    assert "pip install -q -e '.[test,dev]'" in ci
    assert "python -m pytest -n 2 --dist loadscope" in ci
