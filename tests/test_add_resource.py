"""`scaffold add resource`: names, refusals, the files it renders and the lines it wires in.

The fast tests render projects without npm (so nothing is formatted by Prettier); the slow ones
install a project, add a resource and run `scaffold check` and a request against it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.errors import ScaffoldError
from scaffold.presets import load_preset
from scaffold.prettier import fit
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
    "src/resources/customer-resource.ts",
    "src/services/customer-service.ts",
    "test/api/customers.test.ts",
    "test/unit/customer-service.test.ts",
}
POSTGRES_FILES = {
    "migrations/20260105093000_create_customers.sql",
    "src/repositories/postgres-customer-repository.ts",
    "test/integration/postgres-customer-repository.test.ts",
}


@pytest.fixture(scope="session")
def rendered(template_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One pristine render per preset (no npm install), committed, copied by `project`."""
    source = TemplateSource(root=template_copy, presets_dir=template_copy / "examples/presets")
    projects = {}
    for preset in ("minimal", "api", "bff"):
        destination = tmp_path_factory.mktemp(f"pristine-{preset}") / "service"
        answers = load_preset(PRESETS, preset).answers
        render_project(destination, answers=answers, source=source)
        projects[preset] = commit(destination, "Generated")
    return projects


@pytest.fixture
def project(rendered: dict[str, Path], tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A fresh copy of a rendered project; the preset is the test's parameter (default minimal)."""
    preset = getattr(request, "param", "minimal")
    copy = tmp_path / preset
    shutil.copytree(rendered[preset], copy)
    return copy


# The migration of a resource is named by the time it was added.
ADDED_AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def add(project: Path, name: str = "customers", **options: Any) -> Any:
    """Add a resource and commit it, as the next command needs (its tree must be clean)."""
    options.setdefault("now", ADDED_AT)
    added = add_resource(project, name, templates=RESOURCE_TEMPLATES, **options)
    commit(project, f"Add {name}")
    return added


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


def commit(project: Path, message: str) -> Path:
    """Commit everything in `project` (a git repository from the first commit on)."""
    if not (project / ".git").exists():
        git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--allow-empty", "-m", message)
    return project


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
        ("outbox-messages", "its table outbox_messages belongs to the template"),
        ("order-items", "its table order_items belongs to the template"),
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
    commit(project, "A legacy route")
    before = snapshot(project)

    with pytest.raises(ScaffoldError, match=r"already exists \(src/routes/legacy-routes.ts\)"):
        add(project)

    assert snapshot(project) == before


def test_a_dirty_git_tree_is_refused_and_a_clean_one_accepted(project: Path) -> None:
    (project / "README.md").write_text("edited\n")

    with pytest.raises(ScaffoldError, match="1 uncommitted change"):
        add(project)
    assert not (project / "src/routes/customer-routes.ts").exists()

    git(project, "commit", "-qam", "edit")
    assert add(project).created


def test_a_registry_edited_beyond_recognition_writes_nothing_and_shows_the_lines(
    project: Path,
) -> None:
    registry = project / "src/resources/registry.ts"
    registry.write_text(registry.read_text().replace("= [];", "= listResources();"))
    commit(project, "Resources listed by a function")
    before = snapshot(project)

    with pytest.raises(ScaffoldError) as raised:
        add(project)

    message = raised.value.message
    assert (
        "Nothing was written: src/resources/registry.ts has no exactly one line "
        "`export const resources: readonly ResourceModule[] = […`"
    ) in message
    assert "import { customerResource } from './customer-resource.js';" in message
    assert "in the `resources` list:" in message
    assert snapshot(project) == before


def test_a_project_on_an_older_template_version_is_told_to_update_first(project: Path) -> None:
    # The project as generated one template commit ago: the resource code is this version's.
    older = subprocess.run(
        ["git", "rev-parse", "HEAD~1"], cwd=REPO_ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    answers = project / ".copier-answers.yml"
    recorded = yaml.safe_load(answers.read_text())
    answers.write_text(yaml.safe_dump({**recorded, "_commit": older}))
    commit(project, "As generated by the previous template version")
    before = snapshot(project)

    with pytest.raises(ScaffoldError) as raised:
        add(project)

    assert f"The project is on template {older} and scaffold add resource writes code" in str(
        raised.value
    )
    assert "Run `scaffold update` first, commit the result" in str(raised.value)
    assert snapshot(project) == before


def test_a_project_generated_before_registries_is_told_to_update_first(project: Path) -> None:
    (project / "src/resources/registry.ts").unlink()
    commit(project, "As generated before resource registries")
    before = snapshot(project)

    with pytest.raises(ScaffoldError, match=r"registry.ts is missing .*`scaffold update`"):
        add(project)

    assert snapshot(project) == before


# ─── What is written ────────────────────────────────────────────────────────


@pytest.mark.parametrize("project", ["minimal", "api", "bff"], indirect=True)
def test_every_layer_is_rendered_without_template_syntax_left(project: Path) -> None:
    postgres = project.name == "api"

    added = add(project)

    assert set(added.created) == CUSTOMER_FILES | (POSTGRES_FILES if postgres else set())
    assert added.changed == ["src/resources/registry.ts"]
    for path in added.created + added.changed:
        text = (project / path).read_text()
        assert "{{" not in text, path
        assert "{%" not in text, path
    assert not added.formatted  # no node_modules: Prettier is not installed


@pytest.mark.parametrize("project", ["minimal", "api", "bff"], indirect=True)
def test_when_resources_are_added_then_no_file_the_template_renders_changes(
    project: Path,
) -> None:
    before = snapshot(project)

    first = add(project)
    second = add(project, "line-items")

    after = snapshot(project)
    created = set(first.created) | set(second.created)
    changed = {path for path in before if after.get(path) != before[path]}
    assert changed == {"src/resources/registry.ts"}  # written once by the template, then owned
    assert set(after) - set(before) == created


@pytest.mark.parametrize("project", ["minimal", "bff"], indirect=True)
def test_without_postgres_the_resource_registers_its_routes_with_an_in_memory_repository(
    project: Path,
) -> None:
    jwt = project.name == "bff"

    add(project)

    module = (project / "src/resources/customer-resource.ts").read_text()
    # Bounded like the template's own in-memory stores (RESOURCE_STORE_CAPACITY), and on the
    # memory_store_* metrics where the project exports metrics.
    assert "capacity: dependencies.memoryStoreCapacity" in module
    metrics = (
        "metrics" in yaml.safe_load((project / ".copier-answers.yml").read_text())["observability"]
    )
    assert ("dependencies.trackMemoryStore('customers', repository);" in module) == metrics
    assert "Postgres" not in module
    assert ("authenticate: dependencies.authenticate," in module) == jwt
    routes = (project / "src/routes/customer-routes.ts").read_text()
    assert ("app.addHook('onRequest', authenticate);" in routes) == jwt
    api_test = (project / "test/api/customers.test.ts").read_text()
    assert ("then the answer is a 401 problem" in api_test) == jwt
    assert "then the next one is a 507 problem" in api_test


@pytest.mark.parametrize("project", ["api"], indirect=True)
def test_with_postgres_the_repository_adds_its_table_to_the_schema_and_a_migration(
    project: Path,
) -> None:
    add(project)

    module = (project / "src/resources/customer-resource.ts").read_text()
    assert "database === undefined" in module
    assert "new PostgresCustomerRepository(database)" in module
    repository = (project / "src/repositories/postgres-customer-repository.ts").read_text()
    assert "export interface CustomersTable {" in repository
    assert (
        "declare module '../infra/postgres/database-schema.js' {\n"
        "  interface DatabaseSchema {\n"
        "    customers: CustomersTable;\n"
    ) in repository
    migration = (project / "migrations/20260105093000_create_customers.sql").read_text()
    assert "CREATE TABLE customers (" in migration


@pytest.mark.parametrize("project", ["api"], indirect=True)
def test_resource_migrations_are_named_by_time_and_keep_the_order_they_were_added(
    project: Path,
) -> None:
    first = add(project)

    second = add(project, "line-items")  # the same second (or a clock gone back)
    later = add(project, "invoices", now=datetime(2026, 3, 1, tzinfo=UTC))

    assert first.migration == "migrations/20260105093000_create_customers.sql"
    assert second.migration == "migrations/20260105093001_create_line_items.sql"
    assert later.migration == "migrations/20260301000000_create_invoices.sql"
    assert "CREATE TABLE line_items (" in (project / second.migration).read_text()
    # The template's own migrations have four-digit names, which sort before every timestamp.
    assert sorted(path.name for path in (project / "migrations").iterdir()) == [
        "0001_orders_and_idempotency_keys.sql",
        "0002_outbox_messages.sql",
        "20260105093000_create_customers.sql",
        "20260105093001_create_line_items.sql",
        "20260301000000_create_invoices.sql",
    ]


def test_registry_imports_stay_in_path_order_and_the_list_in_the_order_added(
    project: Path,
) -> None:
    add(project, "widgets")
    add(project, "accounts")

    registry = (project / "src/resources/registry.ts").read_text()
    assert registry.startswith(
        "import { accountResource } from './account-resource.js';\n"
        "import type { ResourceModule } from './resource-module.js';\n"
        "import { widgetResource } from './widget-resource.js';\n"
    )
    assert "= [widgetResource, accountResource];\n" in registry


def test_a_registry_too_long_for_one_line_lists_one_resource_a_line(project: Path) -> None:
    for name in ("purchase-order-line-items", "customer-addresses", "shipping-labels"):
        add(project, name)

    registry = (project / "src/resources/registry.ts").read_text()
    assert registry.endswith(
        "export const resources: readonly ResourceModule[] = [\n"
        "  purchaseOrderLineItemResource,\n"
        "  customerAddressResource,\n"
        "  shippingLabelResource,\n"
        "];\n"
    )


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
    assert "changed src/resources/registry.ts" in result.output
    assert "npm run format" in result.output  # Prettier was not installed


def test_the_cli_reports_an_invalid_name_in_one_line_and_exits_1(
    run_cli: RunCli, project: Path
) -> None:
    result = run_cli(["add", "resource", "Customers", "--path", str(project)])

    assert result.exit_code == 1
    assert "Error: 'Customers' is not a valid resource name" in result.output


# ─── Formatting: already Prettier's, with no Prettier installed ────────────


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("import {\n  a,\n  b,\n} from './x.js';\n", "import { a, b } from './x.js';"),
        ("function f(\n  a: A,\n): B {\n", "function f(a: A): B {"),
        (
            "import {\n" + "".join(f"  name{i}," for i in range(20)) + "\n} from './x.js';",
            "import {\n" + "".join(f"  name{i}," for i in range(20)) + "\n} from './x.js';",
        ),
    ],
)
def test_a_group_is_joined_only_when_it_fits_in_the_print_width(group: str, expected: str) -> None:
    assert fit(group) == expected


# Short and long names, with and without dashes: each crosses some line's 100-column limit.
FORMAT_NAMES = [
    ("xs", None),
    ("customers", None),
    ("people", "person"),
    ("purchase-order-line-items", None),
    ("ab-cd-ef-gh-ij-kl-mn-op-qr-st-uv-wx-yzs", None),
    ("abcdefghijklmnopqrstuvwxyzabcdefghijkls", None),
    ("staffs", "a-very-long-singular-name-for-staff-role"),
]


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["minimal", "api", "bff"])
def test_resources_render_as_the_projects_prettier_formats_them_for_any_name(
    preset: str, rendered: dict[str, Path], tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.generated import installed_preset, run

    project = tmp_path / preset
    shutil.copytree(rendered[preset], project)
    written: set[str] = set()
    for name, singular in FORMAT_NAMES:
        added = add(project, name, singular=singular)
        assert not added.formatted  # no node_modules: the text is the templates' own
        written |= set(added.created) | set(added.changed)
    sources = sorted(path for path in written if path.endswith(".ts"))
    # The project's own Prettier and configuration, installed after the files were written.
    (project / "node_modules").symlink_to(
        installed_preset("api", tmp_path_factory).path / "node_modules"
    )

    # Fails with Prettier's list of the files it would change.
    run(project, "npx", "--no-install", "prettier", "--check", *sources)


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
    commit(project, "Generated")
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
