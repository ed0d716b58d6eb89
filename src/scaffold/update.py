"""`scaffold update`: bring a generated project to this scaffold's template, keeping user edits.

Copier does the three-way merge: it renders the template version the project was generated
from (with the recorded answers) and the new one, and applies the difference to the project.
Both come from the installed scaffold's template history (the published bundle of a wheel, the
checkout of a development install) unless the caller asks for the source the project recorded.
The project may sit in any subdirectory of a repository; only its own subtree must be clean, and
a failed update leaves it exactly as it was (see update_workspace).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold.copier_runner import copy_template, update_in_place
from scaffold.errors import ScaffoldError
from scaffold.git_repo import committed_bytes, git, subtree_changes
from scaffold.project import (
    ANSWERS_FILE,
    Project,
    find_project,
    read_answers_file,
    record_source,
    require_committed,
    user_answers,
)
from scaffold.questions import checked
from scaffold.template_source import TemplateSource, find_template_source
from scaffold.update_checks import check_versions, same_source
from scaffold.update_followups import (
    Lockfile,
    kept_feature_migrations,
    kept_files_moved,
    removed_compose_mounts,
    sync_lockfile,
)
from scaffold.update_workspace import (
    atomic_subtree,
    backout_command,
    commit_in_scratch,
    scratch_clone,
)

CONFLICT_MARKER = "<<<<<<< before updating"


@dataclass(frozen=True)
class UpdateResult:
    """What an update changed, and what is left for the user to do."""

    project: Path
    from_version: str
    to_version: str
    changed: list[str]
    conflicts: list[str]
    kept: list[str]
    pretend: bool
    created: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    source_note: str | None = None
    lockfile: Lockfile | None = None
    compose_mounts_removed: list[str] = field(default_factory=list)
    migrations_kept: list[str] = field(default_factory=list)
    # Kept files the template moved: old path -> the new file the edits belong in.
    kept_moved_to: dict[str, str] = field(default_factory=dict)
    backout: str = ""

    @property
    def up_to_date(self) -> bool:
        """Nothing changed: the project already is at that version with those answers."""
        return not self.changed


def update_project(
    project: Path,
    *,
    answers: Mapping[str, Any] | None = None,
    interactive: bool = False,
    vcs_ref: str | None = None,
    pretend: bool = False,
    source: TemplateSource | None = None,
    recorded_source: bool = False,
    sync_lock: bool = True,
) -> UpdateResult:
    """Update `project` to the template shipped with this scaffold (or `vcs_ref` of it).

    `recorded_source` updates from the template source the project recorded (`_src_path`)
    instead. `sync_lock` refreshes package-lock.json when package.json changed and npm is found.
    """
    found = find_project(project)
    project = found.root
    require_committed(project, command="scaffold update", changes_allowed=pretend)
    recorded = _versioned(found)
    source = source or find_template_source()
    answers = checked(answers or {}, source.copier_yml)
    src_path, note = _template_to_use(source, recorded, recorded_source=recorded_source)
    target_ref = vcs_ref or "HEAD"
    check_versions(
        src_path,
        recorded=str(recorded["_commit"]),
        target=target_ref,
        explicit_target=vcs_ref is not None,
        recorded_source=str(recorded["_src_path"]),
    )
    options: dict[str, Any] = {
        "answers": answers,
        "interactive": interactive,
        "vcs_ref": target_ref,
    }
    if pretend:
        with scratch_clone(project) as copy:
            if note is not None:
                record_source(copy, src_path)
                commit_in_scratch(copy, "Use the installed template")
            return _update(copy, recorded, src_path, options, note=note, shown_as=project)
    with atomic_subtree(project):
        result = _update(project, recorded, src_path, options, note=note, shown_as=project)
    if sync_lock and "package.json" in result.changed and "package.json" not in result.conflicts:
        lockfile = sync_lockfile(project)
        return _with_lockfile(result, lockfile)
    return result


def _update(
    project: Path,
    recorded: Mapping[str, Any],
    src_path: str,
    options: Mapping[str, Any],
    *,
    note: str | None,
    shown_as: Path,
) -> UpdateResult:
    pretend = project != shown_as
    if note is not None and not pretend:
        with _source_replaced(project, src_path):
            update_in_place(project, **options)
    else:
        update_in_place(project, **options)
    kept = _restore_edited_files_the_template_removed(project, recorded, src_path)
    after = read_answers_file(project / ANSWERS_FILE)
    changes = subtree_changes(project) or []
    changed = [path for _code, path in changes]
    created = [path for code, path in changes if code == "??"]
    return UpdateResult(
        project=shown_as,
        from_version=str(recorded["_commit"]),
        to_version=str(after["_commit"]),
        changed=changed,
        conflicts=_conflicted_files(project, changed),
        kept=kept,
        pretend=pretend,
        created=created,
        removed=[path for code, path in changes if "D" in code],
        source_note=note,
        compose_mounts_removed=removed_compose_mounts(project) if "compose.yaml" in kept else [],
        migrations_kept=kept_feature_migrations(recorded, after),
        kept_moved_to=kept_files_moved(kept, created),
        backout=backout_command(shown_as),
    )


def _with_lockfile(result: UpdateResult, lockfile: Lockfile) -> UpdateResult:
    changed = list(result.changed)
    if lockfile.refreshed and "package-lock.json" not in changed:
        changed.append("package-lock.json")
    return UpdateResult(**{**result.__dict__, "changed": changed, "lockfile": lockfile})


def _template_to_use(
    source: TemplateSource, recorded: Mapping[str, Any], *, recorded_source: bool
) -> tuple[str, str | None]:
    """The template source to update from, and a note when it is not the recorded one."""
    recorded_path = str(recorded["_src_path"])
    if recorded_source:
        return recorded_path, None
    installed, _ref = source.copier_source()
    if same_source(installed, recorded_path):
        return installed, None
    note = (
        f"The project recorded another template source ({recorded_path}); it was updated from "
        f"this scaffold's template ({installed}). Pass --recorded-source to use the recorded one."
    )
    return installed, note


class _source_replaced:  # noqa: N801 - used as a context manager, like contextlib's
    """Point the answers file at `src_path` for copier, invisibly to git's dirty check.

    Copier reads the template source from the answers file and refuses a dirty tree, so the
    file is rewritten with git told to assume it unchanged; copier then writes the new answers
    (with the new source), and the flag is cleared whatever happens.
    """

    def __init__(self, project: Path, src_path: str) -> None:
        self.project = project
        self.src_path = src_path

    def __enter__(self) -> None:
        git(self.project, "update-index", "--assume-unchanged", ANSWERS_FILE)
        record_source(self.project, self.src_path)

    def __exit__(self, *exc: object) -> None:
        git(self.project, "update-index", "--no-assume-unchanged", ANSWERS_FILE)


def _versioned(project: Project) -> Mapping[str, Any]:
    """What the project recorded, refused when it records no template version to start from."""
    if not project.recorded.get("_commit"):
        msg = (
            f"{project.answers_file} records no template version (_commit): the project was "
            "rendered from a template without history, so there is nothing to compute an update "
            "from."
        )
        raise ScaffoldError(msg)
    return project.recorded


def _restore_edited_files_the_template_removed(
    project: Path, recorded: Mapping[str, Any], src_path: str
) -> list[str]:
    """Copier deletes files the new template no longer has, even ones the user changed.

    Those are put back (from the commit before the update) and reported, so no edit is lost:
    a file is restored when its content differs from what the old template rendered.
    """
    deleted = [path for code, path in subtree_changes(project) or [] if "D" in code]
    if not deleted:
        return []
    answers = user_answers(recorded)
    with tempfile.TemporaryDirectory(prefix="scaffold-pristine-") as pristine_dir:
        pristine = Path(pristine_dir)
        copy_template(src_path, pristine, answers=answers, vcs_ref=str(recorded["_commit"]))
        kept = []
        for path in deleted:
            before = committed_bytes(project, path)
            rendered = pristine / path
            if not rendered.is_file() or rendered.read_bytes() != before:
                git(project, "checkout", "HEAD", "--", path)
                kept.append(path)
    return kept


def _conflicted_files(project: Path, changed: list[str]) -> list[str]:
    unmerged = git(project, "diff", "--name-only", "--relative", "--diff-filter=U").splitlines()
    marked = [
        path
        for path in changed
        if (project / path).is_file()
        and CONFLICT_MARKER in (project / path).read_text(encoding="utf-8", errors="replace")
    ]
    return sorted(set(unmerged) | set(marked))
