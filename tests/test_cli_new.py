"""`scaffold new`: every flag and every error path, through the CLI."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold import __version__
from tests.conftest import REPO_ROOT, RunCli

NO_TOOLS = ["--no-install", "--no-git"]


@pytest.fixture(autouse=True)
def fast_template(template_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Render from a plain copy of the template; one test below covers the git checkout."""
    monkeypatch.setenv("SCAFFOLD_TEMPLATE", str(template_copy))


def read_answers(project: Path) -> dict[str, object]:
    loaded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def leftovers(parent: Path) -> list[str]:
    return sorted(path.name for path in parent.iterdir() if ".scaffold-" in path.name)


def test_version_prints_the_package_version(run_cli: RunCli) -> None:
    result = run_cli(["--version"])

    assert result.exit_code == 0
    assert result.output == f"scaffold {__version__}"


@pytest.mark.parametrize("args", [["--help"], ["new", "--help"], ["presets", "--help"]])
def test_help_of_every_command_shows_examples(run_cli: RunCli, args: list[str]) -> None:
    result = run_cli(args)

    assert result.exit_code == 0
    assert "Examples:" in result.output or "Example:" in result.output


def test_when_defaults_are_asked_for_then_the_project_records_every_default(
    run_cli: RunCli, tmp_path: Path
) -> None:
    result = run_cli(["new", "svc", "--defaults", *NO_TOOLS])

    assert result.exit_code == 0, result.output
    answers = read_answers(tmp_path / "svc")
    assert answers["project_slug"] == "my-service"
    assert answers["workload"] == "io"
    assert answers["deploy"] == ["compose", "kubernetes"]
    assert "Created" in result.output


def test_from_the_source_checkout_the_template_version_is_recorded(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCAFFOLD_TEMPLATE")

    result = run_cli(["new", "svc", "--defaults", *NO_TOOLS])

    assert result.exit_code == 0, result.output
    answers = read_answers(tmp_path / "svc")
    assert answers["_src_path"] == str(REPO_ROOT)
    assert answers["_commit"]


def test_when_scaffold_template_points_nowhere_then_it_says_so(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCAFFOLD_TEMPLATE", str(tmp_path))

    result = run_cli(["new", "svc", "--defaults", *NO_TOOLS])

    assert result.exit_code == 1
    assert "has no copier.yml" in result.output


def test_when_no_destination_is_given_then_the_slug_names_the_directory(
    run_cli: RunCli, tmp_path: Path
) -> None:
    result = run_cli(["new", "-y", "--data", "project_name=Billing Gateway", *NO_TOOLS])

    assert result.exit_code == 0, result.output
    assert read_answers(tmp_path / "billing-gateway")["project_name"] == "Billing Gateway"
    assert leftovers(tmp_path) == []


def test_when_there_is_no_terminal_and_no_defaults_then_it_explains_the_flags(
    run_cli: RunCli, tmp_path: Path
) -> None:
    result = run_cli(["new", "svc", *NO_TOOLS])

    assert result.exit_code == 1
    assert "No terminal" in result.output
    assert "--defaults" in result.output
    assert not (tmp_path / "svc").exists()


def test_data_values_are_parsed_as_yaml_lists_and_numbers(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(
        [
            "new",
            "svc",
            "-y",
            "--data",
            "deploy=[kubernetes]",
            "--data",
            "http_port=8080",
            "--data",
            "observability=[]",
            *NO_TOOLS,
        ]
    )

    assert result.exit_code == 0, result.output
    answers = read_answers(tmp_path / "svc")
    assert answers["deploy"] == ["kubernetes"]
    assert answers["http_port"] == 8080
    assert answers["observability"] == []


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ("http_port=70000", "a whole number from 1 to 65535 (got 70000)"),
        ("http_port=0", "a whole number from 1 to 65535 (got 0)"),
        ("project_slug=Bad_Name", "takes only a-z, 0-9 and '-', starts with a letter"),
        ("project_slug=x", "at least 2 characters"),
        ("project_slug=http", "reserved"),
        ("project_name={{ 7*7 }}", "Jinja delimiters: {{ }} {% %} {# #}"),
        ("database=mysql", "database"),
    ],
)
def test_when_an_answer_breaks_a_rule_then_nothing_is_written_and_the_rule_is_named(
    run_cli: RunCli, tmp_path: Path, pair: str, expected: str
) -> None:
    result = run_cli(["new", "svc", "-y", "--data", pair, *NO_TOOLS])

    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "svc").exists()
    assert leftovers(tmp_path) == []


def test_when_a_data_key_is_unknown_then_the_closest_question_is_suggested(
    run_cli: RunCli,
) -> None:
    result = run_cli(["new", "svc", "-y", "--data", "datbase=postgres", *NO_TOOLS])

    assert result.exit_code == 1
    assert "Unknown question 'datbase'" in result.output
    assert "Did you mean 'database'?" in result.output


def test_when_a_derived_value_is_set_then_it_is_refused(run_cli: RunCli) -> None:
    result = run_cli(["new", "svc", "-y", "--data", "needs_redis=true", *NO_TOOLS])

    assert result.exit_code == 1
    assert "derived from other answers" in result.output


def test_when_data_has_no_equals_sign_then_the_format_is_explained(run_cli: RunCli) -> None:
    result = run_cli(["new", "svc", "-y", "--data", "database", *NO_TOOLS])

    assert result.exit_code == 1
    assert "KEY=VALUE" in result.output


def test_when_the_destination_is_not_empty_then_force_is_required(
    run_cli: RunCli, tmp_path: Path
) -> None:
    destination = tmp_path / "svc"
    destination.mkdir()
    (destination / "notes.txt").write_text("mine")

    refused = run_cli(["new", "svc", "-y", *NO_TOOLS])
    forced = run_cli(["new", "svc", "-y", "--force", *NO_TOOLS])

    assert refused.exit_code == 1
    assert "not empty" in refused.output
    assert "--force" in refused.output
    assert forced.exit_code == 0, forced.output
    assert (destination / "notes.txt").read_text() == "mine"
    assert (destination / ".copier-answers.yml").is_file()


def test_when_the_destination_is_a_file_then_it_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "svc").write_text("a file")

    result = run_cli(["new", "svc", "-y", *NO_TOOLS])

    assert result.exit_code == 1
    assert "not a directory" in result.output


def test_an_empty_existing_directory_is_used_without_force(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()

    result = run_cli(["new", "svc", "-y", *NO_TOOLS])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "svc" / ".copier-answers.yml").is_file()


def test_a_preset_provides_answers_and_data_overrides_it(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(["new", "svc", "--preset", "api", "--data", "http_port=8081", *NO_TOOLS])

    assert result.exit_code == 0, result.output
    answers = read_answers(tmp_path / "svc")
    assert answers["database"] == "postgres"
    assert answers["queue"] == "bullmq"
    assert answers["auth"] == "jwt"
    assert answers["http_port"] == 8081


def test_when_the_preset_is_unknown_then_the_valid_names_are_listed(run_cli: RunCli) -> None:
    result = run_cli(["new", "svc", "--preset", "huge", *NO_TOOLS])

    assert result.exit_code == 1
    assert "Unknown preset 'huge'" in result.output
    assert "api, bff, minimal, worker" in result.output


def test_an_answers_file_is_read_and_data_wins_over_it(run_cli: RunCli, tmp_path: Path) -> None:
    answers_file = tmp_path / "answers.yml"
    answers_file.write_text("database: postgres\ncache: redis\n_commit: v1\n")

    result = run_cli(
        ["new", "svc", "--answers-file", str(answers_file), "-d", "cache=none", *NO_TOOLS]
    )

    assert result.exit_code == 0, result.output
    answers = read_answers(tmp_path / "svc")
    assert answers["database"] == "postgres"
    assert answers["cache"] == "none"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        ("database: [unclosed\n", "not valid YAML"),
        ("- a list\n- not a mapping\n", "must be a YAML mapping"),
        ("databse: postgres\n", "Did you mean 'database'?"),
    ],
)
def test_when_the_answers_file_is_unusable_then_it_says_why(
    run_cli: RunCli, tmp_path: Path, content: str | None, expected: str
) -> None:
    answers_file = tmp_path / "answers.yml"
    if content is not None:
        answers_file.write_text(content)

    result = run_cli(["new", "svc", "--answers-file", str(answers_file), *NO_TOOLS])

    assert result.exit_code == 1
    assert expected in result.output
    assert not (tmp_path / "svc").exists()


def test_pretend_lists_the_files_and_writes_nothing(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(["new", "svc", "-y", "--pretend"])

    assert result.exit_code == 0, result.output
    assert ".copier-answers.yml" in result.output
    assert "Nothing was written" in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_git_is_initialised_with_one_commit_and_a_clean_tree(
    run_cli: RunCli, tmp_path: Path
) -> None:
    result = run_cli(["new", "svc", "-y", "--no-install"])

    assert result.exit_code == 0, result.output
    project = tmp_path / "svc"
    log = subprocess.run(
        ["git", "log", "--oneline"], cwd=project, capture_output=True, text=True, check=True
    )
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True, check=True
    )
    assert len(log.stdout.splitlines()) == 1
    assert status.stdout == ""


def _fake_npm(bin_dir: Path, script: str) -> None:
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(f"#!/bin/sh\n{script}\n")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)


def test_install_runs_npm_and_the_lockfile_is_committed(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_npm(tmp_path / "bin", 'echo "{}" > package-lock.json')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")

    result = run_cli(["new", "svc", "-y", "--install"])

    assert result.exit_code == 0, result.output
    assert "Installed npm dependencies" in result.output
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=tmp_path / "svc", capture_output=True, text=True, check=True
    )
    assert "package-lock.json" in tracked.stdout.split()


def test_when_npm_install_fails_then_the_project_stays_and_the_error_is_shown(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_npm(tmp_path / "bin", 'echo "npm ERR! network unreachable" >&2; exit 1')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")

    result = run_cli(["new", "svc", "-y", "--no-git"])

    assert result.exit_code == 1
    assert "npm install failed" in result.output
    assert "network unreachable" in result.output
    assert (tmp_path / "svc" / ".copier-answers.yml").is_file()


def test_when_install_is_required_but_npm_is_missing_then_nothing_is_written(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))

    result = run_cli(["new", "svc", "-y", "--install", "--no-git"])

    assert result.exit_code == 1
    assert "npm was not found" in result.output
    assert not (tmp_path / "svc").exists()


def test_when_rendering_is_interrupted_then_no_partial_project_is_left(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import copier

    real_run_copy = copier.run_copy

    def interrupted(*args: Any, **kwargs: Any) -> None:
        real_run_copy(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(copier, "run_copy", interrupted)

    result = run_cli(["new", "svc", "-y", *NO_TOOLS])

    assert result.exit_code == 130  # the conventional exit code for Ctrl-C
    assert not (tmp_path / "svc").exists()
    assert leftovers(tmp_path) == []


def test_presets_lists_every_preset(run_cli: RunCli) -> None:
    result = run_cli(["presets"])

    assert result.exit_code == 0
    for name in ("api", "bff", "minimal", "worker"):
        assert name in result.output
