"""`scaffold add resource NAME`: a new CRUD resource across the layers of a generated project.

The new files are rendered with Jinja from `resource/files/` (names rendered too, so a file whose
name renders empty is not written, as in the main template). The only file it changes is the
project's resource registry (`src/resources/registry.ts`, which the template writes once and
updates never touch), with the lines from `resource/wiring.jinja` placed by `code_edits`; the
resource's table joins the Kysely schema from its own repository file. So `add resource` and
`scaffold update` never edit the same lines, in whatever order they run.

Migrations of resources are named by their UTC creation time (`20260105093000_create_invoices`),
the template's by fixed four-digit numbers (`0002_outbox_messages`): the two never collide, and
the migrator applies a template migration that arrives later even though it sorts first.

Everything is rendered, placed and formatted in memory first: files are written only when every
step succeeded.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2

from scaffold.code_edits import FileEdit, Insertion, among_imports, into_list
from scaffold.errors import AnchorMissingError, ResourceError
from scaffold.prettier import PRINT_WIDTH, fit, format_files
from scaffold.project import Project, find_project, require_committed
from scaffold.resource_names import ResourceNames, resource_names
from scaffold.template_history import require_template_version
from scaffold.template_source import find_template_source

REGISTRY = "src/resources/registry.ts"
# Resource migrations are named by UTC time; the template's own have four-digit numbers.
_TIMESTAMP = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class AddedResource:
    """What `add_resource` wrote."""

    project: Path
    names: ResourceNames
    created: list[str]
    changed: list[str]
    formatted: bool
    migration: str | None


def add_resource(
    project: Path,
    name: str,
    *,
    singular: str | None = None,
    templates: Path | None = None,
    now: datetime | None = None,
) -> AddedResource:
    """Render the resource's files, register it, format them, then write them all at once.

    `now` names the migration (default: the current UTC time).
    """
    found = find_project(project)
    project, answers = found.root, found.answers
    names = resource_names(name, singular=singular)
    require_committed(project, command="scaffold add resource")
    _require_installed_version(found)
    postgres = answers.get("database") == "postgres"
    variables: dict[str, Any] = {
        **answers,
        **names.variables(),
        "migration": f"{_migration_timestamp(project, now)}_create_{names.table}",
    }
    root = templates or find_template_source().resource_templates
    environment = _environment(root)
    created = _render_files(environment, root / "files", variables)
    _refuse_existing(project, names, created, postgres=postgres)
    changed = _apply_edits(project, [_registration(environment, variables)])
    contents = {**created, **changed}
    formatted = format_files(project, {path: text for path, text in contents.items()})
    if formatted is not None:
        contents = formatted
    _write_all(project, contents)
    migrations = [path for path in created if path.startswith("migrations/")]
    return AddedResource(
        project=project,
        names=names,
        created=sorted(created),
        changed=sorted(changed),
        formatted=formatted is not None,
        migration=migrations[0] if migrations else None,
    )


def _require_installed_version(project: Project) -> None:
    """The resource templates are this scaffold's: refuse a project of another template version."""
    recorded = project.recorded.get("_commit")
    src_path, _ref = find_template_source().copier_source()
    if recorded is None or _ref is None:
        return  # rendered from a template root without history: there is nothing to compare
    require_template_version(src_path, str(recorded), command="scaffold add resource")


def _migration_timestamp(project: Path, now: datetime | None) -> str:
    """The current UTC time, or one second after the newest resource migration if that is later.

    So resource migrations apply in the order they were added, even from a fast clock or a
    clock that went back.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0, tzinfo=None)
    stamps = [
        datetime.strptime(match.group(1), _TIMESTAMP)
        for path in (project / "migrations").glob("*.sql")
        if (match := re.match(r"(\d{14})_", path.name))
    ]
    if stamps and max(stamps) >= moment:
        moment = max(stamps) + timedelta(seconds=1)
    return moment.strftime(_TIMESTAMP)


def _environment(root: Path) -> jinja2.Environment:
    if not (root / "wiring.jinja").is_file():
        msg = f"The resource templates are missing from {root}: reinstall scaffold."
        raise ResourceError(msg)
    environment = jinja2.Environment(  # noqa: S701 - renders TypeScript, not HTML
        loader=jinja2.FileSystemLoader(root),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["fit"] = fit
    environment.tests["fitting"] = lambda line: len(line) <= PRINT_WIDTH
    return environment


def _render_files(
    environment: jinja2.Environment, files: Path, variables: Mapping[str, Any]
) -> dict[str, str]:
    """Relative path → text; a path with an empty part is left out (as copier does)."""
    rendered = {}
    for template in sorted(path for path in files.rglob("*") if path.is_file()):
        relative = template.relative_to(files).as_posix()
        is_template = relative.endswith(".jinja")
        parts = [
            environment.from_string(part).render(variables)
            for part in relative.removesuffix(".jinja").split("/")
        ]
        if not all(parts):
            continue
        text = template.read_text(encoding="utf-8")
        if is_template:
            text = environment.from_string(text).render(variables)
        rendered["/".join(parts)] = text
    return rendered


def _refuse_existing(
    project: Path, names: ResourceNames, created: Mapping[str, str], *, postgres: bool
) -> None:
    clashes = [path for path in created if (project / path).exists()]
    route = re.compile(rf"""['`]/{re.escape(names.plural)}(?:/|['`])""")
    clashes += [
        path.relative_to(project).as_posix()
        for path in sorted((project / "src").rglob("*.ts"))
        if route.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    variables = names.variables()
    wired = {
        # Where projects generated before resource registries wired their resources.
        "src/app.ts": rf"\b{variables['singular_pascal']}(?:Controller|Service|Repository)\b",
        "src/stores.ts": rf"\b{variables['singular_pascal']}Repository\b",
        REGISTRY: rf"\b{variables['singular_camel']}Resource\b",
    }
    for path, pattern in wired.items():
        source = project / path
        if source.is_file() and re.search(
            pattern, source.read_text(encoding="utf-8", errors="replace")
        ):
            clashes.append(path)
    table = re.compile(rf"interface DatabaseSchema \{{[^}}]*^\s+{names.table}:", re.MULTILINE)
    if postgres:
        clashes += [
            f"{path.relative_to(project).as_posix()} (table {names.table})"
            for path in sorted((project / "src").rglob("*.ts"))
            if table.search(path.read_text(encoding="utf-8", errors="replace"))
        ]
    if postgres and list((project / "migrations").glob(f"*_create_{names.table}.sql")):
        clashes.append(f"migrations/*_create_{names.table}.sql")
    if clashes:
        listed = ", ".join(dict.fromkeys(clashes))
        msg = (
            f"A resource named '{names.plural}' already exists ({listed}). "
            "Choose another name; nothing was written."
        )
        raise ResourceError(msg)


def _registration(environment: jinja2.Environment, variables: Mapping[str, Any]) -> FileEdit:
    macros = environment.get_template("wiring.jinja").make_module(dict(variables))

    def snippet(name: str) -> str:
        return str(getattr(macros, name)()).strip("\n")

    opener = "export const resources: readonly ResourceModule[] = ["
    return FileEdit(
        path=REGISTRY,
        insertions=[
            Insertion("among the imports", snippet("registry_import"), among_imports),
            Insertion("in the `resources` list", snippet("registry_entry"), into_list(opener)),
        ],
    )


def _apply_edits(project: Path, edits: list[FileEdit]) -> dict[str, str]:
    """Relative path → edited text; when any file is not recognised, the lines to add by hand."""
    changed = {}
    problems = []
    for edit in edits:
        source = project / edit.path
        if not source.is_file():
            problems.append(
                f"{edit.path} is missing (a project generated before resource registries gets "
                "it from `scaffold update`)"
            )
            continue
        try:
            changed[edit.path] = edit.apply(source.read_text(encoding="utf-8"))
        except AnchorMissingError as missing:
            problems.append(f"{edit.path} has no {missing.what}")
    if problems:
        reasons = "; ".join(problems)
        manual = "\n\n".join(edit.by_hand() for edit in edits)
        msg = (
            f"Nothing was written: {reasons} (it no longer matches what scaffold generated), "
            "so scaffold will not guess where the resource is wired in. Restore that code and "
            f"run again, or add the resource by hand; these are the lines it adds:\n\n{manual}"
        )
        raise ResourceError(msg)
    return changed


def _write_all(project: Path, contents: Mapping[str, str]) -> None:
    """Write every file; on a failure, put back what was there before."""
    before = {
        path: (project / path).read_bytes() if (project / path).is_file() else None
        for path in contents
    }
    try:
        for path, text in contents.items():
            target = project / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as error:
        for path, previous in before.items():
            with contextlib.suppress(OSError):
                if previous is None:
                    (project / path).unlink(missing_ok=True)
                else:
                    (project / path).write_bytes(previous)
        msg = f"Cannot write {error.filename}: {error.strerror}. Nothing was changed."
        raise ResourceError(msg) from error
