"""Render a project from the template, atomically.

The template is rendered into a temporary directory beside the destination and moved into place
only when rendering succeeded (and the user confirmed): an error or Ctrl-C leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.checkout import clean_template_copy
from scaffold.copier_runner import copy_template
from scaffold.errors import DestinationError, ScaffoldError
from scaffold.interrupts import interruptions_deferred
from scaffold.project import ANSWERS_FILE, read_answers_file, record_source, user_answers
from scaffold.prompts import readable_prompts
from scaffold.questions import checked
from scaffold.template_source import TemplateSource, find_template_source


@dataclass(frozen=True)
class RenderResult:
    """What was (or, with pretend, would be) written."""

    destination: Path
    answers: dict[str, Any]
    files: list[Path]
    written: bool
    prepared: bool = False


def render_project(
    destination: Path | None,
    *,
    answers: Mapping[str, Any],
    interactive: bool = False,
    force: bool = False,
    pretend: bool = False,
    confirm: Callable[[RenderResult], bool] | None = None,
    prepare: Callable[[Path], None] | None = None,
    on_written: Callable[[RenderResult], None] | None = None,
    source: TemplateSource | None = None,
) -> RenderResult:
    """Render the template into `destination` (default: a directory named after the slug).

    `answers` pre-answer questions; the rest take their defaults, or are asked when `interactive`.
    `confirm` sees the rendered result before anything is written and may refuse it. `prepare`
    runs on the finished project while it is still staged (e.g. its first git commit), when the
    destination is new, so the project appears complete in one rename; `RenderResult.prepared`
    says whether it ran. `on_written` learns of the written project before a Ctrl-C that came
    during the final move is raised.
    """
    source = source or find_template_source()
    answers = checked(answers, source.copier_yml)
    if destination is not None:
        destination = destination.expanduser().resolve()
        _check_destination(destination, force=force)
    planned = destination or Path.cwd().resolve() / "project"

    staging_parent = None if pretend else _staging_parent(planned)
    staging: Path | None = None
    try:
        with interruptions_deferred():  # the staging folder exists only once it is known
            staging = Path(
                tempfile.mkdtemp(prefix=f".{planned.name}.scaffold-", dir=staging_parent)
            )
            staging.chmod(0o777 & ~_current_umask())  # mkdtemp makes it private; not the project
        _run_copier(source, staging, answers=answers, interactive=interactive)
        answered = user_answers(read_answers_file(staging / ANSWERS_FILE))
        if destination is None:
            destination = planned.parent / str(answered["project_slug"])
            _check_destination(destination, force=force)
        rendered = RenderResult(
            destination=destination,
            answers=answered,
            files=sorted(
                path.relative_to(staging) for path in staging.rglob("*") if path.is_file()
            ),
            written=False,
        )
        if pretend:
            return rendered
        if confirm is not None and not confirm(rendered):
            msg = "Cancelled: nothing was written."
            raise ScaffoldError(msg)
        fresh = _is_missing_or_empty(destination)
        if prepare is not None and fresh:
            prepare(staging)
        written = RenderResult(
            destination=destination,
            answers=rendered.answers,
            files=rendered.files,
            written=True,
            prepared=prepare is not None and fresh,
        )
        with interruptions_deferred():  # the project is in place and known to be, or not there
            _move_into_place(staging, destination)
            if on_written is not None:
                on_written(written)
        return written
    finally:
        if staging is not None:
            with interruptions_deferred():  # a second Ctrl-C does not leave half a folder
                shutil.rmtree(staging, ignore_errors=True)


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _check_destination(destination: Path, *, force: bool) -> None:
    if destination.exists() and not destination.is_dir():
        msg = f"{destination} exists and is not a directory."
        raise DestinationError(msg)
    if destination.is_dir() and any(destination.iterdir()) and not force:
        msg = (
            f"{destination} is not empty. Choose a new directory, or pass --force to write into it "
            "(files with the same names are overwritten; other files are kept)."
        )
        raise DestinationError(msg)


def _staging_parent(destination: Path) -> Path:
    """The staging directory sits beside the destination so the final move is a rename."""
    parent = destination.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        msg = f"Cannot create {parent}: {error.strerror or error}"
        raise DestinationError(msg) from error
    if not os.access(parent, os.W_OK):
        msg = f"Cannot write to {parent}: permission denied."
        raise DestinationError(msg)
    return parent


def _run_copier(
    source: TemplateSource, staging: Path, *, answers: Mapping[str, Any], interactive: bool
) -> None:
    src_path, vcs_ref = source.copier_source()
    with ExitStack() as stack:
        if source.bundle is None and source.is_git_repository:
            # A development checkout: copier gets its HEAD plus the template's uncommitted
            # changes, never a generated project or other repository lying in the checkout.
            src_path = str(stack.enter_context(clean_template_copy(source.root)))
        if interactive:
            stack.enter_context(readable_prompts())
        copy_template(src_path, staging, answers=answers, vcs_ref=vcs_ref, interactive=interactive)
    if src_path != source.copier_source()[0]:
        # The checkout, not its temporary clean copy, is the template the project came from.
        record_source(staging, str(source.root))


def _is_missing_or_empty(destination: Path) -> bool:
    return not destination.exists() or (destination.is_dir() and not any(destination.iterdir()))


def _move_into_place(staging: Path, destination: Path) -> None:
    if destination.is_dir() and not any(destination.iterdir()):
        destination.rmdir()
    if not destination.exists():
        staging.rename(destination)
        return
    # --force into a non-empty directory: the render already succeeded, so only copying is left.
    shutil.copytree(staging, destination, dirs_exist_ok=True)
