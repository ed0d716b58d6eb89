"""Resources and answer changes in any order: no conflicts, and `npm run migrate` always works.

A Postgres project lives through every order of {add resource, add queue, add cache, remove
queue}, with the real `add resource` and `scaffold update` (from a tagged copy of this
template, as in test_update). After each step it must merge without conflicts, keep every
migration it ever had, build, and migrate on a real database both from the state before the
step and from empty; then no migration may be pending (what the readiness check reports).

To stay affordable: one `npm install` (the api preset's, whose packages cover every answer
here) is shared through a symlink; orders that reach the same files with the same steps left
go on from there once (each step from each reached state is still run for real); a build is
reused for identical sources, and "migrate from empty" for an identical migrations folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.git_repo import init_repository
from scaffold.render import render_project
from scaffold.resources import add_resource
from scaffold.template_source import TemplateSource
from scaffold.update import update_project
from tests.conftest import REPO_ROOT
from tests.generated import installed_preset, required_server_url, run

pytestmark = pytest.mark.slow

IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@t"]
ADDED_AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
# Readiness's own query: the migrations this build ships that the database has not applied.
PENDING = """
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { MIGRATIONS_FOLDER, pendingMigrations } from './dist/infra/postgres/migrator.js';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
console.log(JSON.stringify(await pendingMigrations(db, MIGRATIONS_FOLDER)));
await db.destroy();
"""


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return completed.stdout


@dataclass
class Lab:
    """The shared pieces: template history, installed packages, databases and caches."""

    template: TemplateSource
    node_modules: Path
    admin_url: str
    root: Path
    databases: list[str]
    builds: dict[str, Path]
    from_empty: dict[str, list[str]]

    def url(self, database: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + database

    def create_database(self, *, like: str | None = None) -> str:
        name = f"scaffold_lifecycle_{len(self.databases)}"
        template = f" TEMPLATE {like}" if like else ""
        for statement in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}{template}"):
            subprocess.run(
                ["psql", self.admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement],
                check=True,
                capture_output=True,
            )
        self.databases.append(name)
        return name

    def generate(self, name: str, **answers: Any) -> Path:
        presets = self.template.presets_dir
        preset = yaml.safe_load((presets / "api.yml").read_text(encoding="utf-8"))
        project = self.root / name
        render_project(project, answers={**preset, **answers}, source=self.template)
        init_repository(project, message="Generated")
        (project / ".git" / "info" / "exclude").write_text("node_modules\n")
        (project / "node_modules").symlink_to(self.node_modules)
        return project

    def build(self, project: Path) -> None:
        """`npm run build`, or the dist/ an identical source tree built before."""
        key = tree_hash(project, "src", "tsconfig.json", "tsconfig.build.json")
        if key not in self.builds:
            run(project, "npm", "run", "build")
            self.builds[key] = project / "dist"
        elif self.builds[key] != project / "dist":
            shutil.rmtree(project / "dist", ignore_errors=True)
            shutil.copytree(self.builds[key], project / "dist")

    def migrate(self, project: Path, database: str) -> str:
        """The project's `npm run migrate`; then nothing may be pending."""
        env = {"DATABASE_URL": self.url(database)}
        output = run(project, "npm", "run", "migrate", env=env).stdout
        pending = run(project, "node", "--input-type=module", "-e", PENDING, env=env)
        assert json.loads(pending.stdout.strip().splitlines()[-1]) == [], project
        return output

    def migrate_from_empty(self, project: Path) -> None:
        key = tree_hash(project, "migrations")
        if key not in self.from_empty:
            self.migrate(project, self.create_database())
            self.from_empty[key] = migrations(project)


def tree_hash(project: Path, *parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        top = project / part
        for path in sorted(top.rglob("*")) if top.is_dir() else [top]:
            if path.is_file():
                digest.update(path.relative_to(project).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(project: Path) -> str:
    files = git(project, "ls-files").split()
    return tree_hash(project, *files)


def migrations(project: Path) -> list[str]:
    return sorted(path.name for path in (project / "migrations").glob("*.sql"))


@pytest.fixture
def lab(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    admin_url = required_server_url("SCAFFOLD_TEST_DATABASE_URL")
    repo = tmp_path / "template-repo"
    repo.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", repo / "template")
    shutil.copytree(REPO_ROOT / "examples", repo / "examples")
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "Release v1.0.0")
    git(repo, "tag", "v1.0.0")
    lab = Lab(
        template=TemplateSource(root=repo, presets_dir=repo / "examples" / "presets"),
        node_modules=installed_preset("api", tmp_path_factory).path / "node_modules",
        admin_url=admin_url,
        root=tmp_path / "projects",
        databases=[],
        builds={},
        from_empty={},
    )
    lab.root.mkdir()
    yield lab
    for database in lab.databases:
        subprocess.run(
            ["psql", admin_url, "-q", "-c", f"DROP DATABASE IF EXISTS {database}"],
            check=False,
            capture_output=True,
        )


def add_customers(lab: Lab, project: Path) -> None:
    add_resource(project, "customers", templates=REPO_ROOT / "resource", now=ADDED_AT)


def answer(**answers: str) -> Callable[[Lab, Path], None]:
    def change(lab: Lab, project: Path) -> None:
        result = update_project(project, answers=answers, source=lab.template)
        assert result.conflicts == [], result.conflicts

    return change


STEPS: dict[str, Callable[[Lab, Path], None]] = {
    "add resource": add_customers,
    "add queue": answer(queue="bullmq"),
    "add cache": answer(cache="redis"),
    "remove queue": answer(queue="none"),
}


def test_every_order_of_resources_and_answer_changes_merges_and_migrates(lab: Lab) -> None:
    start = lab.generate("start", queue="none", cache="none")
    lab.build(start)
    start_database = lab.create_database()
    lab.migrate(start, start_database)
    lab.migrate_from_empty(start)
    # (project, its database, the steps left, the steps taken); each state is walked once.
    todo: list[tuple[Path, str, frozenset[str], tuple[str, ...]]] = [
        (start, start_database, frozenset(STEPS), ())
    ]
    seen: dict[tuple[str, frozenset[str]], Path] = {}
    steps_run = 0
    while todo:
        project, database, left, taken = todo.pop()
        for step in sorted(left):
            path = (*taken, step)
            child = lab.root / f"state-{steps_run}"
            steps_run += 1
            shutil.copytree(project, child, symlinks=True)
            STEPS[step](lab, child)
            git(child, "add", "--all")
            git(child, "commit", "--quiet", "--allow-empty", "-m", step)
            assert set(migrations(project)) <= set(migrations(child)), path  # none ever deleted
            lab.build(child)
            child_database = lab.create_database(like=database)
            lab.migrate(child, child_database)  # from the state before the step
            lab.migrate_from_empty(child)
            key = (fingerprint(child), left - {step})
            if key in seen:
                continue  # another order reached the same files with the same steps left
            seen[key] = child
            if left - {step}:
                todo.append((child, child_database, left - {step}, path))

    # Every order ends with the resource's and the outbox's migrations, whatever came first.
    assert {tuple(names) for names in lab.from_empty.values()} >= {
        (
            "0001_orders_and_idempotency_keys.sql",
            "0002_outbox_messages.sql",
            "20260105093000_create_customers.sql",
        )
    }
    assert steps_run >= 32  # each of the 16 step sets, left by each remaining step


def test_a_project_with_numbered_resource_migrations_takes_a_later_queue_and_loses_it(
    lab: Lab,
) -> None:
    project = lab.generate("numbered", queue="none", cache="none")
    # What `add resource` wrote before timestamps: the next free numbers, already applied.
    for number, table in (("0002", "customers"), ("0003", "invoices")):
        (project / "migrations" / f"{number}_create_{table}.sql").write_text(
            f"CREATE TABLE {table} (id uuid PRIMARY KEY);\n"
        )
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Resources")
    lab.build(project)
    database = lab.create_database()
    lab.migrate(project, database)

    answer(queue="bullmq")(lab, project)
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--allow-empty", "-m", "Queue")
    lab.build(project)
    applied = lab.migrate(project, database)
    dropped = update_project(project, answers={"queue": "none"}, source=lab.template)

    assert dropped.conflicts == []
    assert dropped.migrations_kept == ["migrations/0002_outbox_messages.sql"]

    assert '"migrationName":"0002_outbox_messages","status":"Success"' in applied
    assert migrations(project) == [
        "0001_orders_and_idempotency_keys.sql",
        "0002_create_customers.sql",
        "0002_outbox_messages.sql",
        "0003_create_invoices.sql",
    ]
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert recorded["outbox_migration"] is True
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--allow-empty", "-m", "No queue")
    lab.build(project)
    assert "database already up to date" in lab.migrate(project, database)
