"""The first hour with a generated `api` project: its README followed as written, without Docker.

The commands are read from the rendered README, so the test breaks when the README stops telling
the truth: the "Getting started" block (`npm ci`, `cp .env.example .env`, build, migrate), `.env`
pointed at existing servers as its "Without Docker" table says, `npm start`, the worker's command,
and the "Try it" block (`TOKEN=$(npm run -s token)` and the curl that creates an order), each run
by bash. The integration suite must fail once without URLs and never touch the database a
developer's `DATABASE_URL` names. All of this is `slow`; `.ci/run` runs it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import yaml

from scaffold.git_repo import init_repository
from scaffold.probes import free_port
from scaffold.render import render_project
from tests.conftest import REPO_ROOT
from tests.generated import (
    backing_services,
    node_environment,
    read_env_example,
    record_figure,
    request,
    run,
)

pytestmark = pytest.mark.slow

ANSWERS = yaml.safe_load((REPO_ROOT / "examples/presets/api.yml").read_text(encoding="utf-8"))
README_PORT = 3000
README_WORKER_PORT = 3001


def section(markdown: str, heading: str) -> str:
    """The text under a `## heading`, up to the next heading of that level."""
    return markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def shell_blocks(markdown: str) -> list[str]:
    """The ```sh code blocks, in order."""
    return re.findall(r"^```sh\n(.*?)^```$", markdown, flags=re.DOTALL | re.MULTILINE)


def developer_shell(project: Path) -> dict[str, str]:
    """A shell as a developer's: Node on PATH, and none of the service's variables set."""
    env = node_environment()
    for variable in [*read_env_example(project), "DATABASE_URL", "REDIS_URL", "AMQP_URL"]:
        env.pop(variable, None)
    return env


def bash(project: Path, script: str, *, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a README snippet as pasted into bash (stopping at the first failing command)."""
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=project,
        env=developer_shell(project),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def set_env_file(path: Path, values: Mapping[str, str]) -> None:
    """Change `KEY=value` lines of a .env file, as a developer edits it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    seen = set()
    for index, line in enumerate(lines):
        key = line.partition("=")[0]
        if key in values and not line.startswith("#"):
            lines[index] = f"{key}={values[key]}"
            seen.add(key)
    assert seen == set(values), f"{path.name} has no line for {set(values) - seen}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextlib.contextmanager
def started(project: Path, command: str, *, port: int, log: Path) -> Iterator[None]:
    """Start a README command in its own process group, wait for /health/ready, stop it after."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=project,
            env=developer_shell(project),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-3000:]
                raise AssertionError(f"`{command}` exited with {process.returncode}:\n{tail}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if request(port, "GET", "/health/ready", timeout=1).status == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"`{command}` not ready:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield
    finally:
        # npm, its shell and node share the group: SIGTERM reaches the real server too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The api preset as `scaffold new` leaves it: rendered, installed (a lockfile), committed."""
    if shutil.which("curl") is None:
        pytest.fail("the README's commands use curl: install it (apt-get install -y curl)")
    destination = tmp_path_factory.mktemp("first-hour") / "orders-api"
    render_project(destination, answers=ANSWERS)
    run(destination, "npm", "install", "--no-audit", "--no-fund")
    init_repository(destination, message="Generate project")
    return destination


@pytest.fixture(scope="module")
def servers() -> dict[str, str]:
    """The existing PostgreSQL (a database of this test's own) and Redis a developer points at."""
    return backing_services(ANSWERS, name="first-hour")


def test_the_readme_commands_run_as_pasted_without_docker_and_create_an_order(
    project: Path, servers: dict[str, str]
) -> None:
    readme = (project / "README.md").read_text(encoding="utf-8")
    getting_started = section(readme, "Getting started")
    setup, try_it = shell_blocks(getting_started)[:2]
    # The "Without Docker" table names the variables that point the service at existing servers.
    assert "**Without Docker**" in getting_started
    table = dict(re.findall(r"^\| `([A-Z_]+)` +\| `([^`]+)`", getting_started, re.MULTILINE))
    assert set(table) == set(servers)
    assert not any("docker" in line for line in setup.splitlines())
    # The README's port is the default; this machine is shared, so the test takes a free one.
    port, worker_port = free_port(), free_port()
    edits = {**servers, "PORT": str(port), "WORKER_PORT": str(worker_port)}

    *commands, dev = setup.strip().splitlines()
    assert dev == "npm run dev"
    for command in commands:
        started_at = time.monotonic()
        completed = bash(project, command)
        assert completed.returncode == 0, f"`{command}`:\n{completed.stdout}{completed.stderr}"
        record_figure(f"first hour: {command} (s)", round(time.monotonic() - started_at, 1))
        if command == "cp .env.example .env":
            set_env_file(project / ".env", edits)

    assert "- `npm start`: run the compiled API" in readme
    worker_command = re.search(r"`(npm run build && npm run start:worker)`", getting_started)
    assert worker_command is not None
    log_dir = project.parent
    with (
        started(project, "npm start", port=port, log=log_dir / "api.log"),
        started(project, worker_command[1], port=worker_port, log=log_dir / "worker.log"),
    ):
        assert "TOKEN=$(npm run -s token)" in try_it
        pasted = try_it.replace(f"localhost:{README_PORT}", f"localhost:{port}")
        # Each curl also prints its status code on a line of its own.
        status_codes = "curl() { command curl -w '\\n%{http_code}\\n' \"$@\"; }\n"
        completed = bash(project, status_codes + pasted)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    ready, ready_status, order, order_status = lines[-4:]
    assert (ready_status, json.loads(ready)["status"]) == ("200", "ok")
    assert order_status == "201", order
    assert json.loads(order)["customerId"] == "c-42"
    # The development key pair was created on first use and, like .env, is never committed.
    assert (project / ".dev-keys/private.pem").stat().st_mode & 0o077 == 0
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "!! .dev-keys/" in status.splitlines()
    assert "!! .env" in status.splitlines()


def test_npm_run_token_refuses_in_production(project: Path) -> None:
    completed = bash(project, "NODE_ENV=production npm run -s token")

    assert completed.returncode != 0
    assert completed.stdout == ""
    assert "NODE_ENV is production" in completed.stderr


def test_the_integration_tests_fail_once_when_a_server_url_is_missing(project: Path) -> None:
    completed = bash(project, "npm run test:integration")
    output = completed.stdout + completed.stderr

    assert completed.returncode != 0
    assert output.count("Integration tests need real servers: set DATABASE_URL and REDIS_URL") == 1
    assert "TypeError" not in output
    assert "Tests  no tests" in re.sub(r"\x1b\[[0-9;]*m", "", output)


def test_the_integration_tests_use_a_database_of_their_own_never_the_developers(
    project: Path, servers: dict[str, str]
) -> None:
    developer_database = servers["DATABASE_URL"]
    run(project, "npm", "run", "build")
    run(project, "node", "dist/migrate.js", env={"DATABASE_URL": developer_database})
    sentinel = "00000000-0000-4000-8000-00000000f157"
    test_database = developer_database.rsplit("/", 1)[1] + "_test"
    psql = ["psql", developer_database, "-v", "ON_ERROR_STOP=1", "-qAt", "-c"]
    for statement in (
        f"INSERT INTO orders VALUES ('{sentinel}', 'keep-me', 'pending', now())",
        f"DROP DATABASE IF EXISTS {test_database}",
    ):
        subprocess.run([*psql, statement], check=True, capture_output=True)

    started_at = time.monotonic()
    env = {key: servers[key] for key in ("DATABASE_URL", "REDIS_URL")}
    completed = subprocess.run(
        ["bash", "-c", "npm run test:integration"],
        cwd=project,
        env={**developer_shell(project), **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    record_figure("first hour: npm run test:integration (s)", round(time.monotonic() - started_at))

    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    orders = subprocess.run(
        [*psql, "SELECT customer_id FROM orders"], check=True, capture_output=True, text=True
    ).stdout.split()
    assert orders.count("keep-me") == 1
    databases = subprocess.run(
        [*psql, "SELECT datname FROM pg_database"], check=True, capture_output=True, text=True
    ).stdout.split()
    assert test_database in databases
