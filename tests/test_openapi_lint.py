"""Every generated service's OpenAPI document passes Redocly's recommended ruleset, clean.

The presets' documents are fetched from their running services; the render matrix's from each
project's own app (its test harness, in-memory stores), sharing one install of every package the
matrix uses, so a few dozen documents cost one `npm install`. One exception, explained in the
generated project's ADR 0010: the health probes declare no 4xx response, as they send none.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from scaffold.git_repo import init_repository
from scaffold.presets import load_preset
from scaffold.render import render_project
from scaffold.resources import add_resource
from scaffold.template_source import TemplateSource
from tests.conftest import REPO_ROOT
from tests.generated import (
    REAL_NODE,
    installed_preset,
    preset_service,
    record_figure,
    request,
    run,
)
from tests.matrix import MATRIX, answer_id
from tests.openapi_tools import (
    PROBES_WITHOUT_4XX,
    REDOCLY_CLI,
    LintResult,
    npm_tools,
    redocly_lint,
)

pytestmark = pytest.mark.slow

PRESETS = ("minimal", "api", "worker", "bff")

# The document as the project's own app serves it, without servers to connect to.
SERVE_DOCUMENT = """
import { writeFileSync } from 'node:fs';
import { buildTestApp } from './test/helpers/test-app.ts';
const app = await buildTestApp();
const response = await app.inject({ method: 'GET', url: '/openapi.json' });
if (response.statusCode !== 200) throw new Error(`/openapi.json: ${response.statusCode}`);
writeFileSync(process.argv[2], response.body);
await app.server.close();
"""

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`METHOD /path` -> the operation object, for every operation of the document."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def assert_lint_clean(result: LintResult) -> None:
    assert (result.errors, result.warnings) == (0, 0), result.problems
    # The ignore file names the probes only: anything else it matched would be hidden.
    assert result.ignored == len(PROBES_WITHOUT_4XX)


def assert_named_operations(document: dict[str, Any]) -> None:
    names = [operation.get("operationId") for operation in operations(document).values()]
    assert None not in names
    assert len(set(names)) == len(names), names


@pytest.fixture(scope="session")
def redocly() -> Path:
    return npm_tools("redocly-cli", [REDOCLY_CLI])


@pytest.fixture(scope="module")
def template_source(tmp_path_factory: pytest.TempPathFactory) -> TemplateSource:
    root = tmp_path_factory.mktemp("openapi-template")
    shutil.copy2(REPO_ROOT / "copier.yml", root / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", root / "template")
    shutil.copytree(REPO_ROOT / "examples" / "presets", root / "examples" / "presets")
    return TemplateSource(root=root, presets_dir=root / "examples" / "presets")


@pytest.fixture(scope="module")
def pristine_renders(
    template_source: TemplateSource, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Every matrix answer set and the minimal and api presets, rendered without an install."""
    answer_sets: dict[str, dict[str, Any]] = {answer_id(answers): answers for answers in MATRIX}
    for preset in ("minimal", "api"):
        answer_sets[f"preset-{preset}"] = load_preset(template_source.presets_dir, preset).answers
    renders = {}
    for name, answers in answer_sets.items():
        destination = tmp_path_factory.mktemp("openapi-render") / "service"
        render_project(destination, answers=answers, source=template_source)
        renders[name] = destination
    return renders


@pytest.fixture(scope="module")
def shared_node_modules(pristine_renders: dict[str, Path]) -> Path:
    """One install of every package any render depends on (the first render's version wins)."""
    specs: dict[str, str] = {}
    for project in pristine_renders.values():
        package = json.loads((project / "package.json").read_text(encoding="utf-8"))
        for group in ("dependencies", "devDependencies"):
            for name, spec in package.get(group, {}).items():
                specs.setdefault(name, spec)
    tools = npm_tools("matrix-dependencies", [f"{name}@{spec}" for name, spec in specs.items()])
    return tools / "node_modules"


def project_with_packages(pristine: Path, node_modules: Path, destination: Path) -> Path:
    shutil.copytree(pristine, destination)
    (destination / "node_modules").symlink_to(node_modules, target_is_directory=True)
    return destination


def served_document(project: Path) -> Path:
    """Write the document the project's app serves to openapi.json beside it."""
    script = project / "serve-openapi-document.mts"
    script.write_text(SERVE_DOCUMENT, encoding="utf-8")
    document = project.parent / "openapi.json"
    run(project, str(REAL_NODE), "--import", "tsx", script.name, str(document), timeout=120)
    return document


@pytest.mark.parametrize("preset", PRESETS)
def test_a_running_presets_document_passes_redocly_recommended(
    preset: str, redocly: Path, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    installed = installed_preset(preset, tmp_path_factory)
    with preset_service(installed, label=f"openapi-lint-{preset}") as booted:
        response = request(booted.service.port, "GET", "/openapi.json")
    assert response.status == 200
    document = tmp_path / "openapi.json"
    document.write_bytes(response.body)

    result = redocly_lint(redocly, document)

    record_figure(f"{preset}: redocly lint (recommended)", result.summary())
    assert_lint_clean(result)
    assert_named_operations(response.json())


@pytest.mark.parametrize("name", [answer_id(answers) for answers in MATRIX])
def test_every_matrix_document_passes_redocly_recommended(
    name: str,
    pristine_renders: dict[str, Path],
    shared_node_modules: Path,
    redocly: Path,
    tmp_path: Path,
) -> None:
    project = project_with_packages(pristine_renders[name], shared_node_modules, tmp_path / "p")
    document = served_document(project)

    result = redocly_lint(redocly, document)

    assert_lint_clean(result)
    assert_named_operations(json.loads(document.read_text(encoding="utf-8")))


@pytest.mark.parametrize("preset", ["minimal", "api"])
def test_when_a_resource_is_added_then_its_operations_are_named_and_the_document_stays_clean(
    preset: str,
    pristine_renders: dict[str, Path],
    shared_node_modules: Path,
    redocly: Path,
    tmp_path: Path,
) -> None:
    project = project_with_packages(
        pristine_renders[f"preset-{preset}"], shared_node_modules, tmp_path / "p"
    )
    init_repository(project, message="Generated")  # add resource changes committed projects
    add_resource(project, "line-items", templates=REPO_ROOT / "resource")
    document = served_document(project)
    described = json.loads(document.read_text(encoding="utf-8"))

    result = redocly_lint(redocly, document)

    assert_lint_clean(result)
    assert_named_operations(described)
    named = {key: op["operationId"] for key, op in operations(described).items()}
    assert named["POST /line-items"] == "createLineItem"
    assert named["GET /line-items/{id}"] == "getLineItem"
    assert named["GET /line-items"] == "listLineItems"
    schemas = described["components"]["schemas"]
    assert {"LineItem", "NewLineItem", "LineItemPage"} <= set(schemas)
    bearer: list[dict[str, list[str]]] = [{"bearerAuth": []}] if preset == "api" else []
    assert operations(described)["POST /line-items"]["security"] == bearer
