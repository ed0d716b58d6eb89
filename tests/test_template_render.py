"""The template renders cleanly for a pairwise-covering matrix of answers (pytest-copie)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.presets import load_preset
from tests.conftest import REPO_ROOT
from tests.matrix import MATRIX, answer_id

# Files whose own syntax uses double braces: GitHub/GitLab expressions, Prometheus alert
# templates, Grafana legends. Everywhere else a `{{` is leftover template syntax.
_OWN_BRACES = re.compile(r"^(\.github/|\.gitlab-ci\.yml$|deploy/observability/)")
_ANSWER_NAMES = [name for name in yaml.safe_load((REPO_ROOT / "copier.yml").read_text())]
_LEFTOVER_JINJA = re.compile(
    r"\{%|%\}|\{#-?\s|\{\{-?\s*(?:" + "|".join(map(re.escape, _ANSWER_NAMES)) + r")\b"
)


@pytest.fixture(scope="session")
def template_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as a plain folder: renders without cloning the git checkout each time."""
    snapshot = tmp_path_factory.mktemp("template")
    shutil.copy2(REPO_ROOT / "copier.yml", snapshot / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", snapshot / "template")
    return snapshot


def text_files(project: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(project.rglob("*")):
        if path.is_file() and ".git" not in path.parts:
            relative = path.relative_to(project).as_posix()
            try:
                yield relative, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def render(copie: Any, snapshot: Path, answers: dict[str, Any]) -> Path:
    result = copie.copy(extra_answers=answers, template_dir=snapshot)
    assert result.exit_code == 0, result.exception
    project = Path(result.project_dir)
    assert isinstance(project, Path)
    return project


@pytest.mark.parametrize("answers", MATRIX, ids=[answer_id(a) for a in MATRIX])
def test_every_combination_renders_clean_parseable_files(
    copie: Any, template_snapshot: Path, answers: dict[str, Any]
) -> None:
    project = render(copie, template_snapshot, answers)

    problems = []
    for relative, text in text_files(project):
        if _LEFTOVER_JINJA.search(text) or ("{{" in text and not _OWN_BRACES.search(relative)):
            problems.append(f"{relative}: leftover template syntax")
        if relative.endswith(".json"):
            try:
                json.loads(text)
            except json.JSONDecodeError as error:
                problems.append(f"{relative}: invalid JSON ({error})")
        if relative.endswith((".yml", ".yaml")):
            try:
                list(yaml.safe_load_all(text))
            except yaml.YAMLError as error:
                problems.append(f"{relative}: invalid YAML ({error})")
        if text and not text.endswith("\n"):
            problems.append(f"{relative}: no final newline")
    assert problems == []


@pytest.mark.parametrize("answers", MATRIX[:4], ids=[answer_id(a) for a in MATRIX[:4]])
def test_the_answers_file_records_every_answer(
    copie: Any, template_snapshot: Path, answers: dict[str, Any]
) -> None:
    project = render(copie, template_snapshot, answers)

    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    for name, value in answers.items():
        assert recorded[name] == value
    assert not any(name.startswith(("needs_", "has_")) for name in recorded)


ALWAYS = {
    "@fastify/cors",
    "@fastify/swagger",
    "@fastify/under-pressure",
    "fastify",
    "fastify-type-provider-zod",
    "pino",
    "zod",
}
TRACING = {
    "@opentelemetry/api",
    "@opentelemetry/context-async-hooks",
    "@opentelemetry/core",
    "@opentelemetry/exporter-trace-otlp-http",
    "@opentelemetry/instrumentation",
    "@opentelemetry/instrumentation-http",
    "@opentelemetry/instrumentation-undici",
    "@opentelemetry/resources",
    "@opentelemetry/sdk-trace",
}


def expected_dependencies(answers: dict[str, Any]) -> set[str]:
    expected = set(ALWAYS)
    conditional = {
        "helmet": answers["api_docs"],
        "swagger-ui-dist": answers["api_docs"],
        "amqplib": answers["queue"] == "rabbitmq",
        "bullmq": answers["queue"] == "bullmq",
        "cockatiel": answers["http_client"],
        "ioredis": answers["cache"] == "redis" or answers["queue"] == "bullmq",
        "jose": answers["auth"] == "jwt",
        "kysely": answers["database"] == "postgres",
        "pg": answers["database"] == "postgres",
        "piscina": answers["workload"] in ("cpu", "mixed"),
        "prom-client": "metrics" in answers["observability"],
    }
    expected |= {name for name, wanted in conditional.items() if wanted}
    if "tracing" in answers["observability"]:
        expected |= TRACING
        expected |= {name for name, wanted in tracing_conditional(answers).items() if wanted}
    return expected


def tracing_conditional(answers: dict[str, Any]) -> dict[str, bool]:
    """Instrumentations of the data clients the answers choose."""
    needs_redis = answers["cache"] == "redis" or answers["queue"] == "bullmq"
    return {
        "@opentelemetry/instrumentation-amqplib": answers["queue"] == "rabbitmq",
        "@opentelemetry/instrumentation-ioredis": needs_redis,
        "@opentelemetry/instrumentation-pg": answers["database"] == "postgres",
    }


@pytest.mark.parametrize("answers", MATRIX, ids=[answer_id(a) for a in MATRIX])
def test_dependencies_are_exactly_what_the_answers_use_and_each_is_imported(
    copie: Any, template_snapshot: Path, answers: dict[str, Any]
) -> None:
    project = render(copie, template_snapshot, answers)

    package = json.loads((project / "package.json").read_text())
    dependencies = list(package["dependencies"])
    sources = "\n".join(path.read_text() for path in (project / "src").rglob("*.ts"))
    unused = [
        name for name in dependencies if f"'{name}'" not in sources and f"'{name}/" not in sources
    ]
    assert set(dependencies) == expected_dependencies(answers)
    assert dependencies == sorted(dependencies), "dependencies are kept sorted, as npm writes them"
    assert sorted(package["devDependencies"]) == list(package["devDependencies"])
    assert unused == []


def preset_answers(name: str, **overrides: Any) -> dict[str, Any]:
    return {**load_preset(REPO_ROOT / "examples" / "presets", name).answers, **overrides}


def integration_parts(project: Path) -> dict[str, bool]:
    """Which of the integration-test parts a project has: folder, npm script, CI job."""
    scripts = json.loads((project / "package.json").read_text())["scripts"]
    github = project / ".github" / "workflows" / "ci.yml"
    gitlab = project / ".gitlab-ci.yml"
    if github.is_file():
        jobs = yaml.safe_load(github.read_text())["jobs"]
    else:
        jobs = yaml.safe_load(gitlab.read_text())
    return {
        "folder": (project / "test" / "integration").exists(),
        "script": "test:integration" in scripts,
        "ci job": "integration" in jobs,
    }


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_a_preset_without_servers_has_no_integration_folder_script_or_ci_job(
    copie: Any, template_snapshot: Path, ci: str
) -> None:
    project = render(copie, template_snapshot, preset_answers("minimal", ci=ci))

    assert integration_parts(project) == {"folder": False, "script": False, "ci job": False}
    readme = (project / "README.md").read_text()
    assert "test:integration" not in readme
    assert "integration tests" not in readme.lower()


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_a_preset_with_postgres_keeps_its_integration_folder_script_and_ci_job(
    copie: Any, template_snapshot: Path, ci: str
) -> None:
    project = render(copie, template_snapshot, preset_answers("api", ci=ci))

    assert integration_parts(project) == {"folder": True, "script": True, "ci job": True}
    assert list((project / "test" / "integration").glob("*.test.ts"))


def test_the_lint_config_requires_sorted_imports_with_a_pinned_plugin(
    copie: Any, template_snapshot: Path
) -> None:
    project = render(copie, template_snapshot, preset_answers("minimal"))

    config = (project / "eslint.config.js").read_text()
    package = json.loads((project / "package.json").read_text())
    assert "import simpleImportSort from 'eslint-plugin-simple-import-sort';" in config
    assert "plugins: { 'simple-import-sort': simpleImportSort }" in config
    assert "'simple-import-sort/imports': 'error'" in config
    assert "'simple-import-sort/exports': 'error'" in config
    assert re.fullmatch(
        r"\^\d+\.\d+\.\d+", package["devDependencies"]["eslint-plugin-simple-import-sort"]
    )
