"""What `scaffold check` reports: the step's own finding, whole lines, a clean tree, no password.

No npm here: the summaries are read from captured tool output, as the steps capture it.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from scaffold import console
from scaffold.check import PASSED, StepResult, describe_database_url, write_report
from scaffold.step_summary import summarize

NPM_WARN = 'npm warn Unknown user config "nodedir". This will stop working in the next major.\n'

VITEST_PASSED = """
> orders@0.1.0 test
> npm run test:unit

 ✓ test/unit/order-service.test.ts (12 tests) 31ms
 ✓ test/api/orders.test.ts (40 tests) 912ms

\x1b[2m Test Files \x1b[22m 21 passed (21)
\x1b[2m      Tests \x1b[22m 155 passed (155)
\x1b[2m   Duration \x1b[22m 6.12s
"""

VITEST_FAILED = """
 Test Files  1 failed | 20 passed (21)
      Tests  2 failed | 153 passed (155)
"""


@pytest.mark.parametrize(
    ("step", "ok", "stdout", "expected"),
    [
        ("test", True, VITEST_PASSED, "155 tests passed"),
        ("test", False, VITEST_FAILED, "2 failed, 153 passed of 155 tests"),
        ("lint", True, "\n> orders@0.1.0 lint\n> eslint . --max-warnings 0\n\n", "0 problems"),
        ("lint", False, "✖ 3 problems (2 errors, 1 warning)\n", "3 problems (2 errors, 1 warning)"),
        ("typecheck", True, "\n> orders@0.1.0 typecheck\n> tsc --noEmit\n\n", "0 errors"),
        ("typecheck", False, "src/a.ts(1,7): error TS2322: x\n\nFound 2 errors.\n", "2 errors"),
        (
            "format",
            True,
            "Checking formatting...\nAll matched files use Prettier code style!\n",
            "all files formatted",
        ),
        (
            "format",
            False,
            "[warn] src/a.ts\n[warn] Code style issues found in the above file. Run Prettier "
            "with --write to fix.\n",
            "code style issues in the above file",
        ),
        ("install", True, "\nadded 281 packages in 21s\n", "281 packages installed"),
        (
            "build",
            True,
            "\n> orders@0.1.0 build\n> tsc -p tsconfig.build.json\n",
            "compiled, 0 errors",
        ),
        (
            "migrate",
            True,
            '{"time":"2026-12-03T06:00:00.000Z","msg":"migrations applied","applied":2}\n',
            "migrations applied",
        ),
    ],
)
def test_the_detail_is_what_the_step_found_never_an_npm_warning(
    step: str, ok: bool, stdout: str, expected: str
) -> None:
    # npm prints its warning on stderr, which the step reads after stdout
    summary = summarize(step, ok=ok, output=f"{stdout}\n{NPM_WARN}{NPM_WARN}")

    assert summary == expected


def test_without_a_terminal_the_table_ends_its_line_before_the_verdict(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    output = io.StringIO()
    monkeypatch.setattr(console, "console", Console(file=output, width=100, force_terminal=False))
    result = StepResult("test", PASSED, 1.5, "", "155 tests passed")

    with console.CheckProgress(tmp_path) as progress:
        progress.start("test")
        progress.finish(result)
    console.console.print("all checks passed in 1.5 s")

    lines = output.getvalue().splitlines()
    assert "all checks passed in 1.5 s" in lines
    assert lines[-2].startswith("└")
    assert lines[-2].endswith("┘")
    assert sum("155 tests passed" in line for line in lines) == 1  # printed once, not redrawn


def test_a_database_url_is_described_by_host_and_database_never_the_password() -> None:
    described = describe_database_url("postgres://orders:s3cret-pass@db.internal:5433/orders_dev")

    assert described == "host db.internal:5433, database orders_dev"
    assert "s3cret" not in described
    assert describe_database_url("") == "not set"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_a_junit_report_inside_the_project_leaves_the_git_tree_clean(tmp_path: Path) -> None:
    project = tmp_path / "orders"
    project.mkdir()
    (project / "package.json").write_text("{}\n")
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "first")

    write_report(project, project / "check.xml", "<testsuite/>")
    write_report(project, project / "check.xml", "<testsuite/>")  # again: listed once

    assert (project / "check.xml").read_text() == "<testsuite/>"
    assert git(project, "status", "--porcelain") == ""
    exclude = (project / ".git" / "info" / "exclude").read_text()
    assert exclude.count("/check.xml\n") == 1
