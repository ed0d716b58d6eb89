"""`scaffold add resource`: names, refusals, the files it renders and the lines it wires in.

The fast tests render projects without npm (so nothing is formatted by Prettier); the slow ones
install a project, add a resource and run `scaffold check` and a request against it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from scaffold.errors import ScaffoldError
from scaffold.presets import load_preset
from scaffold.render import render_project
from scaffold.resource_names import resource_names
from scaffold.resources import add_resource
from scaffold.template_source import TemplateSource, find_template_source
from tests.conftest import REPO_ROOT, RunCli

RESOURCE_TEMPLATES = REPO_ROOT / "resource"
PRESETS = REPO_ROOT / "examples" / "presets"
CUSTOMER_FILES = {
    "src/controllers/customer-controller.ts",
    "src/repositories/customer-repository.ts",
    "src/repositories/in-memory-customer-repository.ts",
    "src/routes/customer-routes.ts",
    "src/routes/customer-schemas.ts",
    "src/services/customer-service.ts",
    "test/api/customers.test.ts",
    "test/unit/customer-service.test.ts",
}
POSTGRES_FILES = {
    "migrations/0003_create_customers.sql",
    "src/repositories/postgres-customer-repository.ts",
    "test/integration/postgres-customer-repository.test.ts",
}


@pytest.fixture(scope="session")
def rendered(template_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One pristine render per preset (no npm install, no git), copied by `project`."""
    source = TemplateSource(root=template_copy, presets_dir=template_copy / "examples/presets")
    projects = {}
    for preset in ("minimal", "api", "bff"):
        destination = tmp_path_factory.mktemp(f"pristine-{preset}") / "service"
        answers = load_preset(PRESETS, preset).answers
        render_project(destination, answers=answers, source=source)
        projects[preset] = destination
    return projects


@pytest.fixture
def project(rendered: dict[str, Path], tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A fresh copy of a rendered project; the preset is the test's parameter (default minimal)."""
    preset = getattr(request, "param", "minimal")
    copy = tmp_path / preset
    shutil.copytree(rendered[preset], copy)
    return copy


def add(project: Path, name: str = "customers", **options: Any) -> Any:
    return add_resource(project, name, templates=RESOURCE_TEMPLATES, **options)


def snapshot(project: Path) -> dict[str, bytes]:
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.parts
    }


def git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


# ─── Names ──────────────────────────────────────────────────────────────────


def test_a_kebab_plural_gets_every_spelling_the_code_uses() -> None:
    variables = resource_names("line-items").variables()

    assert variables == {
        "plural": "line-items",
        "singular": "line-item",
        "plural_camel": "lineItems",
        "singular_camel": "lineItem",
        "plural_pascal": "LineItems",
        "singular_pascal": "LineItem",
        "plural_words": "line items",
        "singular_words": "line item",
        "a_singular_words": "a line item",
        "table": "line_items",
    }


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("customers", "customer"),
        ("categories", "category"),
        ("addresses", "address"),
        ("boxes", "box"),
        ("branches", "branch"),
        ("invoice-lines", "invoice-line"),
        ("v2-items", "v2-item"),
    ],
)
def test_the_singular_is_derived_from_common_plural_endings(plural: str, singular: str) -> None:
    assert resource_names(plural).singular == singular


def test_a_given_singular_replaces_the_derived_one() -> None:
    names = resource_names("people", singular="person")

    assert names.variables()["singular_pascal"] == "Person"
    assert names.table == "people"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Customers", "not a valid resource name"),
        ("customer_s", "not a valid resource name"),
        ("1customers", "not a valid resource name"),
        ("line--items", "not a valid resource name"),
        ("-items", "not a valid resource name"),
        ("", "not a valid resource name"),
        ("orders", "reserved"),
        ("metrics", "reserved"),
        ("docs", "reserved"),
        ("people", "--singular"),
        ("address", "--singular"),
        ("classes", "reserved word in TypeScript"),
    ],
)
def test_an_invalid_or_reserved_name_is_refused_with_the_reason(name: str, message: str) -> None:
    with pytest.raises(ScaffoldError, match=message):
        resource_names(name)


def test_a_singular_equal_to_the_plural_is_refused() -> None:
    with pytest.raises(ScaffoldError, match="--singular 'sheep' is not valid"):
        resource_names("sheep", singular="sheep")


# ─── Refusals: nothing is written ───────────────────────────────────────────


def test_a_directory_without_scaffold_answers_is_refused(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{}")

    with pytest.raises(ScaffoldError, match="not generated by scaffold"):
        add(tmp_path)

    assert sorted(path.name for path in tmp_path.iterdir()) == ["package.json"]


def test_an_existing_resource_is_refused_and_nothing_is_written(project: Path) -> None:
    add(project)
    before = snapshot(project)

    with pytest.raises(ScaffoldError, match="'customers' already exists"):
        add(project)

    assert snapshot(project) == before


def test_a_path_another_route_already_serves_is_refused(project: Path) -> None:
    routes = project / "src/routes/legacy-routes.ts"
    routes.write_text("export const path = '/customers';\n")
    before = snapshot(project)

    with pytest.raises(ScaffoldError, match=r"already exists \(src/routes/legacy-routes.ts\)"):
        add(project)

    assert snapshot(project) == before


def test_a_dirty_git_tree_is_refused_and_a_clean_one_accepted(project: Path) -> None:
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "generated")
    (project / "README.md").write_text("edited\n")

    with pytest.raises(ScaffoldError, match="1 uncommitted change"):
        add(project)
    assert not (project / "src/routes/customer-routes.ts").exists()

    git(project, "commit", "-qam", "edit")
    assert add(project).created


def test_a_composition_root_edited_beyond_recognition_writes_nothing_and_shows_the_lines(
    project: Path,
) -> None:
    app = project / "src/app.ts"
    app.write_text(app.read_text().replace("  await server.ready();\n", "  await ready(server);\n"))
    before = snapshot(project)

    with pytest.raises(ScaffoldError) as raised:
        add(project)

    message = raised.value.message
    assert "Nothing was written: src/app.ts has no exactly one line `await server.ready();`" in (
        message
    )
    assert "import { customerRoutes } from './routes/customer-routes.js';" in message
    assert "await server.register(customerRoutes, {" in message
    assert snapshot(project) == before


@pytest.mark.parametrize("project", ["api"], indirect=True)
def test_unrecognised_stores_leave_the_composition_root_untouched_too(project: Path) -> None:
    stores = project / "src/stores.ts"
    stores.write_text(
        stores.read_text().replace(
            "export function inMemoryStores(): Stores {", "export const inMemoryStores = () => {"
        )
    )
    before = snapshot(project)

    with pytest.raises(ScaffoldError, match=r"src/stores.ts has no exactly one line") as raised:
        add(project)

    assert "customers: new InMemoryCustomerRepository()," in raised.value.message
    assert snapshot(project) == before


# ─── What is written ────────────────────────────────────────────────────────


@pytest.mark.parametrize("project", ["minimal", "api", "bff"], indirect=True)
def test_every_layer_is_rendered_without_template_syntax_left(project: Path) -> None:
    postgres = project.name == "api"

    added = add(project)

    assert set(added.created) == CUSTOMER_FILES | (POSTGRES_FILES if postgres else set())
    assert added.changed == (
        ["src/app.ts", "src/infra/database-schema.ts", "src/stores.ts"]
        if postgres
        else ["src/app.ts"]
    )
    for path in added.created + added.changed:
        text = (project / path).read_text()
        assert "{{" not in text, path
        assert "{%" not in text, path
    assert not added.formatted  # no node_modules: Prettier is not installed


@pytest.mark.parametrize("project", ["minimal", "bff"], indirect=True)
def test_without_postgres_the_route_is_registered_with_an_in_memory_repository(
    project: Path,
) -> None:
    jwt = project.name == "bff"

    add(project)

    app = (project / "src/app.ts").read_text()
    assert "import { customerRoutes } from './routes/customer-routes.js';\n" in app
    registration = app.split("await server.register(customerRoutes, {", 1)[1]
    registration = registration.split("});\n", 1)[0]
    assert "customers: new InMemoryCustomerRepository()," in registration
    assert ("authenticate," in registration) == jwt
    assert app.index("server.register(customerRoutes") < app.index("await server.ready();")
    routes = (project / "src/routes/customer-routes.ts").read_text()
    assert ("app.addHook('onRequest', authenticate);" in routes) == jwt
    api_test = (project / "test/api/customers.test.ts").read_text()
    assert ("then the answer is a 401 problem" in api_test) == jwt


@pytest.mark.parametrize("project", ["api"], indirect=True)
def test_with_postgres_the_stores_the_table_type_and_a_migration_are_added(
    project: Path,
) -> None:
    add(project)

    stores = (project / "src/stores.ts").read_text()
    assert "  readonly customers: CustomerRepository;\n}" in stores
    assert "    customers: new InMemoryCustomerRepository(),\n  };" in stores
    assert "    customers: new PostgresCustomerRepository(database),\n  };" in stores
    app = (project / "src/app.ts").read_text()
    assert "customers: stores.customers," in app
    assert "InMemoryCustomerRepository" not in app
    schema = (project / "src/infra/database-schema.ts").read_text()
    assert "export interface CustomersTable {" in schema
    assert "  customers: CustomersTable;\n}" in schema
    assert schema.endswith("export type CustomerRow = Selectable<CustomersTable>;\n")
    migration = (project / "migrations/0003_create_customers.sql").read_text()
    assert "CREATE TABLE customers (" in migration


@pytest.mark.parametrize("project", ["api"], indirect=True)
def test_each_new_resource_gets_the_next_migration_number(project: Path) -> None:
    add(project)

    added = add(project, "line-items")

    assert added.migration == "migrations/0004_create_line_items.sql"
    assert "CREATE TABLE line_items (" in (project / added.migration).read_text()


def test_imports_are_placed_in_path_order_among_the_existing_ones(project: Path) -> None:
    add(project)

    app = (project / "src/app.ts").read_text().splitlines()
    relative = [line for line in app if line.startswith("import ") and "from './" in line]
    assert relative.index(
        "import { CustomerController } from './controllers/customer-controller.js';"
    ) < relative.index("import { OrderController } from './controllers/order-controller.js';")
    assert relative.index(
        "import { customerRoutes } from './routes/customer-routes.js';"
    ) < relative.index("import { healthRoutes } from './routes/health-routes.js';")


def test_the_resource_templates_are_found_next_to_the_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SCAFFOLD_TEMPLATE", raising=False)

    templates = find_template_source().resource_templates

    assert (templates / "wiring.jinja").is_file()
    assert (templates / "files" / "src").is_dir()


# ─── CLI ────────────────────────────────────────────────────────────────────


def test_the_cli_lists_created_and_changed_files_and_next_steps(
    run_cli: RunCli, project: Path
) -> None:
    result = run_cli(["add", "resource", "customers"], cwd=project)

    assert result.exit_code == 0, result.output
    assert "created src/routes/customer-routes.ts" in result.output
    assert "changed src/app.ts" in result.output
    assert "npm run format" in result.output  # Prettier was not installed


def test_the_cli_reports_an_invalid_name_in_one_line_and_exits_1(
    run_cli: RunCli, project: Path
) -> None:
    result = run_cli(["add", "resource", "Customers", "--path", str(project)])

    assert result.exit_code == 1
    assert "Error: 'Customers' is not a valid resource name" in result.output


# ─── Slow: the project still passes its checks and serves the resource ─────


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["minimal", "api"])
def test_after_adding_a_resource_scaffold_check_passes_and_the_endpoint_works(
    preset: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from scaffold.check import STEPS, check_project
    from tests.generated import (
        backing_services,
        installed_preset,
        jwt_credentials,
        node_environment,
        record_figure,
        request,
        run,
        running_service,
        service_environment,
    )

    installed = installed_preset(preset, tmp_path_factory)
    project = tmp_path / "service"
    shutil.copytree(installed.path, project, symlinks=True, ignore=shutil.ignore_patterns("dist"))
    servers = backing_services(installed.answers, name=f"add-resource-{preset}")
    node_path = {"PATH": node_environment()["PATH"]}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", node_path["PATH"])  # the project's Prettier runs on Node 24
        added = add_resource(project, "customers")
    assert added.formatted

    started = time.monotonic()
    report = check_project(project, steps=STEPS[: STEPS.index("boot") + 1], env=servers | node_path)
    record_figure(f"add resource ({preset}): scaffold check (s)", round(time.monotonic() - started))
    # Without a database there is nothing to migrate; every other step must run and pass.
    may_skip = set() if "DATABASE_URL" in servers else {"migrate"}
    failed = {
        step.name: re.sub(r"\x1b\[[0-9;]*m", "", step.detail)
        for step in report.steps
        if step.status != "passed" and not (step.status == "skipped" and step.name in may_skip)
    }
    assert failed == {}, "\n\n".join(f"{name}:\n{detail}" for name, detail in failed.items())

    credentials = jwt_credentials(project) if installed.answers["auth"] == "jwt" else {}
    headers = {key: value for key, value in credentials.items() if not key.isupper()}
    if "DATABASE_URL" in servers:
        run(project, "npm", "run", "migrate", env=servers)
    with running_service(project, service_environment(project, servers, credentials)) as service:
        created = request(service.port, "POST", "/customers", body={"name": "Ada"}, headers=headers)
        assert created.status == 201, created.body
        fetched = request(service.port, "GET", created.headers["location"], headers=headers)

    assert fetched.status == 200, fetched.body
    assert fetched.json() == created.json()
    assert created.json()["name"] == "Ada"
