"""Render the presets with scaffold, install and build them in a scratch directory."""

from __future__ import annotations

import json
import shlex
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.build_stamp import directory_digest, is_current, mark_current
from bench.jwt_token import mint_token, read_env_example
from bench.node_env import CommandError, run_command
from bench.peers import installed_versions
from bench.servers import HttpAnswer, http_request
from bench.targets import BuiltTarget, SkippedTarget
from scaffold.errors import ScaffoldError
from scaffold.presets import load_preset
from scaffold.render import render_project
from scaffold.template_source import find_template_source

NPM_TIMEOUT_SECONDS = 900.0
# The rate limit stays on; its ceiling is raised so that load from one client IP is not refused.
RATE_LIMIT_OUT_OF_THE_WAY = "1000000000"
SHED_RETRIES = 20
SHED_RETRY_PAUSE_SECONDS = 0.25
NEW_ORDER = {"customerId": "c1", "items": [{"sku": "A", "quantity": 1}]}


@dataclass(frozen=True)
class BackingServices:
    """Where the `api` preset finds PostgreSQL and Redis (None: not available)."""

    database_url: str | None
    redis_url: str | None


def preset_answers(name: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A preset's answers (from scaffold's presets), with overrides applied."""
    preset = load_preset(find_template_source().presets_dir, name)
    return {**preset.answers, **(overrides or {})}


def render(answers: Mapping[str, Any], destination: Path) -> Path:
    """Render the template with scaffold's own renderer into a fresh destination."""
    shutil.rmtree(destination, ignore_errors=True)
    return render_project(destination, answers=answers).destination


@dataclass
class PresetBuilds:
    """Presets ready to start, projects installed (even if they cannot start here), failures."""

    targets: list[BuiltTarget] = field(default_factory=list)
    projects: dict[str, Path] = field(default_factory=dict)
    skipped: list[SkippedTarget] = field(default_factory=list)


def build_presets(
    names: Sequence[str], scratch: Path, node: Path, services: BackingServices
) -> PresetBuilds:
    """Render, npm install and build each preset; a preset that fails is skipped with the reason."""
    builds = PresetBuilds()
    for name in names:
        try:
            project = install_and_build(name, preset_answers(name), scratch, builds.projects)
            builds.targets.append(_preset_target(name, project, node, services))
        except (CommandError, ScaffoldError, OSError, ValueError, KeyError) as error:
            builds.skipped.append(SkippedTarget(name, str(error)))
    return builds


def install_and_build(
    name: str,
    answers: Mapping[str, Any],
    scratch: Path,
    installed: dict[str, Path] | None = None,
) -> Path:
    """The project rendered from answers, installed and built; reused when nothing changed.

    `installed` receives the project as soon as npm install succeeded (its production
    dependencies can be measured even when the build then fails).
    """
    installed = {} if installed is None else installed
    rendered = render(answers, scratch / f"render-{name}")
    digest = directory_digest(rendered)
    project = scratch / f"preset-{name}"
    if is_current(project, digest):
        shutil.rmtree(rendered)
        installed[name] = project
        return project
    shutil.rmtree(project, ignore_errors=True)
    rendered.rename(project)
    run_command(
        ["npm", "install", "--no-audit", "--no-fund"], cwd=project, timeout=NPM_TIMEOUT_SECONDS
    )
    installed[name] = project
    run_command(["npm", "run", "build"], cwd=project, timeout=NPM_TIMEOUT_SECONDS)
    mark_current(project, digest)
    return project


def start_command(project: Path, node: Path) -> tuple[str, ...]:
    """The project's `npm start` command, run with the real node binary instead of npm."""
    scripts = json.loads((project / "package.json").read_text(encoding="utf-8"))["scripts"]
    words = shlex.split(str(scripts.get("start", "node dist/server.js")))
    if not words or words[0] != "node":
        msg = f"unexpected start script {scripts.get('start')!r}: expected `node …`"
        raise ValueError(msg)
    return (str(node), *words[1:])


def service_env(project: Path, services: BackingServices) -> dict[str, str]:
    """Production env for the service; a needed backing service that is missing is an error."""
    env_example = read_env_example(project)
    env = {"LOG_LEVEL": "info", "RATE_LIMIT_MAX": RATE_LIMIT_OUT_OF_THE_WAY}
    needs = {"DATABASE_URL": services.database_url, "REDIS_URL": services.redis_url}
    for variable, url in needs.items():
        if variable in env_example:
            if url is None:
                msg = (
                    f"needs {variable} (pass --{variable.lower().replace('_', '-')} or set "
                    f"SCAFFOLD_TEST_{variable}); not started"
                )
                raise ValueError(msg)
            env[variable] = url
    return env


def _preset_target(name: str, project: Path, node: Path, services: BackingServices) -> BuiltTarget:
    env = service_env(project, services)
    env_example = read_env_example(project)
    headers: dict[str, str] = {}
    if "JWT_ISSUER" in env_example:
        minted = mint_token(project, node, env_example)
        env.update(minted.env)
        headers["authorization"] = f"Bearer {minted.token}"
    scripts = json.loads((project / "package.json").read_text(encoding="utf-8"))["scripts"]
    if "migrate" in scripts:
        run_command(["npm", "run", "migrate"], cwd=project, timeout=120, env=env)
    return BuiltTarget(
        name=name,
        label=f"scaffold `{name}` preset",
        kind="preset",
        directory=project,
        command=start_command(project, node),
        route="GET /orders/:id",
        prepare_route=lambda port: create_order(port, headers),
        # Ready, not merely live: the point from which a load balancer would send it traffic.
        ready_path="/health/ready",
        env=env,
        request_headers=headers,
        versions=installed_versions(project, ["fastify"]),
    )


def create_order(port: int, headers: Mapping[str, str]) -> str:
    """POST an order, check it reads back with 200, return its GET path."""
    created = _request_past_shedding(port, "POST", "/orders", NEW_ORDER, headers)
    if created.status != 201:
        msg = f"POST /orders answered {created.status}: {created.body[:300]!r}"
        raise ValueError(msg)
    path = f"/orders/{created.json()['id']}"
    fetched = _request_past_shedding(port, "GET", path, None, headers)
    if fetched.status != 200:
        msg = f"GET {path} answered {fetched.status}: {fetched.body[:300]!r}"
        raise ValueError(msg)
    return path


def _request_past_shedding(
    port: int, method: str, path: str, body: object, headers: Mapping[str, str]
) -> HttpAnswer:
    """One request, retried a few times on 503 as a client honouring Retry-After would.

    A service that sheds load may refuse its first requests while the process warms up.
    """
    answer = http_request(port, method, path, body=body, headers=headers)
    for _ in range(SHED_RETRIES):
        if answer.status != 503:
            break
        time.sleep(SHED_RETRY_PAUSE_SECONDS)
        answer = http_request(port, method, path, body=body, headers=headers)
    return answer
