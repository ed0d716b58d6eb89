"""What a newcomer reads first in a generated project is true for its answers.

Fast render-level checks; tests/test_first_hour_service.py runs the api preset's README for real.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.render_helpers import Rendered, render_project, template_snapshot

ANSWER_SETS: dict[str, dict[str, Any]] = {
    "minimal": {"observability": ["metrics"], "deploy": ["compose"]},
    "postgres-only": {"database": "postgres", "deploy": ["compose", "kubernetes"]},
    "rabbitmq-no-compose": {"queue": "rabbitmq", "deploy": ["kubernetes"], "auth": "jwt"},
    "api": {
        "database": "postgres",
        "cache": "redis",
        "queue": "bullmq",
        "auth": "jwt",
        "deploy": ["compose", "kubernetes"],
    },
}
SERVER_VARIABLES = {"DATABASE_URL": "PostgreSQL", "REDIS_URL": "Redis", "AMQP_URL": "RabbitMQ"}


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    template = template_snapshot(tmp_path_factory.mktemp("template"))
    return {
        name: render_project(template, tmp_path_factory.mktemp(name) / "project", answers)
        for name, answers in ANSWER_SETS.items()
    }


@pytest.fixture(params=list(ANSWER_SETS))
def project(request: pytest.FixtureRequest, renders: dict[str, Rendered]) -> Rendered:
    return renders[request.param]


def getting_started(project: Rendered) -> str:
    return project.read("README.md").split("## Getting started\n", 1)[1].split("\n## ", 1)[0]


def used_servers(project: Rendered) -> set[str]:
    a = project.answers
    used = {"DATABASE_URL"} if a["database"] == "postgres" else set()
    if a.needs_redis:
        used.add("REDIS_URL")
    if a["queue"] == "rabbitmq":
        used.add("AMQP_URL")
    return used


def test_the_readme_names_only_the_server_variables_the_project_uses(project: Rendered) -> None:
    readme = project.read("README.md")

    named = {variable for variable in SERVER_VARIABLES if variable in readme}

    assert named == used_servers(project)


def test_getting_started_shows_how_to_use_existing_servers_with_docker_as_one_way(
    project: Rendered,
) -> None:
    text = getting_started(project)
    table = set(re.findall(r"^\| `([A-Z_]+)` +\| `", text, flags=re.MULTILINE))
    first_block = text.split("```sh\n", 1)[1].split("```", 1)[0]

    assert table == used_servers(project)
    assert "docker" not in first_block
    if not used_servers(project):
        assert "Docker" not in text
        assert "nothing else" in text
    elif project.answers.has_compose:
        assert "**With Docker**" in text
        assert "**Without Docker**" in text


def test_the_development_server_listens_on_loopback_and_deployments_on_every_interface(
    project: Rendered,
) -> None:
    example = project.read(".env.example")

    assert re.search(r"^HOST=127\.0\.0\.1$", example, flags=re.MULTILINE)
    assert "HOST=0.0.0.0" in project.read("Dockerfile")
    assert "-e HOST=0.0.0.0" in project.read("README.md")
    if project.answers.has_compose:
        assert "HOST: 0.0.0.0" in project.read("compose.yaml")
    if project.answers.has_kubernetes:
        assert "HOST=0.0.0.0" in project.read("deploy/k8s/base/kustomization.yaml")


def test_every_script_that_runs_the_service_reads_env_and_the_image_does_not(
    project: Rendered,
) -> None:
    scripts = json.loads(project.read("package.json"))["scripts"]
    runs_code = ("dev", "start", "start:worker", "migrate", "token")

    for name in (name for name in runs_code if name in scripts):
        assert scripts[name].startswith("node --env-file-if-exists=.env "), name
    assert "--env-file" not in project.read("Dockerfile")


def test_a_jwt_project_mints_development_tokens_whose_keys_stay_out_of_git_and_the_image(
    project: Rendered,
) -> None:
    scripts = json.loads(project.read("package.json"))["scripts"]
    if project.answers["auth"] != "jwt":
        assert "token" not in scripts
        assert not project.exists("scripts")
        assert ".dev-keys" not in project.read(".gitignore")
        return
    example = project.read(".env.example")

    assert re.search(r"^JWT_PUBLIC_KEY_FILE=\.dev-keys/public\.pem$", example, flags=re.MULTILINE)
    assert re.search(r"^JWT_JWKS_URL=$", example, flags=re.MULTILINE)
    assert ".dev-keys/" in project.read(".gitignore").splitlines()
    assert ".dev-keys" in project.read(".dockerignore").splitlines()
    assert "TOKEN=$(npm run -s token)" in getting_started(project)
    assert scripts["token"].endswith("scripts/token.ts")
