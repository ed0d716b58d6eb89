"""`scaffold new` as a function: gather answers, render, install, commit."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from scaffold import __version__
from scaffold.errors import GenerationInterrupted, InstallError, NoTerminalError
from scaffold.git_repo import amend_initial_commit, find_git, init_repository, is_tracked
from scaffold.interrupts import interruptions_deferred
from scaffold.npm import find_npm, npm_install, require_npm
from scaffold.presets import load_preset
from scaffold.questions import (
    CheckedAnswers,
    check_answers,
    load_answers_file,
    load_questions,
    parse_data_pairs,
)
from scaffold.render import RenderResult, render_project
from scaffold.template_source import find_template_source


@dataclass(frozen=True)
class GenerateOptions:
    """What `scaffold new` was asked to do."""

    destination: Path | None
    preset: str | None = None
    answers_file: Path | None = None
    data: list[str] = field(default_factory=list)
    interactive: bool = False
    pretend: bool = False
    force: bool = False
    git: bool = True
    install: bool | None = None


@dataclass(frozen=True)
class GenerateOutcome:
    """What happened; an install failure is reported here, after the project was kept."""

    render: RenderResult
    install_seconds: float | None = None
    install_skipped_reason: str | None = None
    install_error: InstallError | None = None
    git_committed: bool = False


def collect_answers(options: GenerateOptions) -> CheckedAnswers:
    """Merge answers, later sources winning: preset, then answers file, then --data.

    Each source is checked as it is read (so an unknown question names its source), and only
    there: the commands take the result as checked.
    """
    source = find_template_source()
    questions = load_questions(source.copier_yml)
    answers = CheckedAnswers()
    if options.preset is not None:
        preset = load_preset(source.presets_dir, options.preset)
        answers.update(check_answers(preset.answers, questions, origin=f"preset '{preset.name}'"))
    if options.answers_file is not None:
        from_file = load_answers_file(options.answers_file)
        answers.update(check_answers(from_file, questions, origin=str(options.answers_file)))
    from_data = parse_data_pairs(options.data, questions)
    answers.update(check_answers(from_data, questions, origin="--data"))
    return answers


def generate_project(
    options: GenerateOptions,
    *,
    confirm: Callable[[RenderResult], bool] | None = None,
    installing: Callable[[], AbstractContextManager[None]] | None = None,
) -> GenerateOutcome:
    """Render a new project and, unless told otherwise, install it and commit it.

    A Ctrl-C at any point leaves nothing, or the complete project with its first commit (without
    `node_modules`): then `GenerationInterrupted` says what is left to do.
    """
    if options.interactive and not sys.stdin.isatty():
        msg = (
            "No terminal to ask the questions in. Pass --defaults (-y), --preset NAME or "
            "--answers-file FILE, optionally with --data KEY=VALUE."
        )
        raise NoTerminalError(msg)
    answers = collect_answers(options)
    # Fail on missing tools before anything is written.
    if options.git and not options.pretend:
        find_git()
    npm = require_npm() if options.install is True and not options.pretend else find_npm()
    message = f"Generate project with scaffold {__version__}"
    progress = _Progress()

    try:
        rendered = render_project(
            options.destination,
            answers=answers,
            interactive=options.interactive,
            force=options.force,
            pretend=options.pretend,
            confirm=confirm,
            # The first commit is made while the project is staged: it appears committed.
            prepare=(lambda staged: _commit(staged, message)) if options.git else None,
            on_written=progress.written,
        )
        if not rendered.written:
            return GenerateOutcome(render=rendered)
        if options.git and not rendered.prepared:  # --force into a directory that existed
            with interruptions_deferred():
                progress.committed = init_repository(rendered.destination, message=message)

        install_seconds = None
        skipped = None
        install_error = None
        if options.install is False:
            skipped = "Skipped npm install (--no-install): run `npm install` in the project."
        elif npm is None:
            skipped = (
                "npm was not found, so dependencies were not installed: run `npm install` later."
            )
        else:
            progress.install_started = True
            try:
                with installing() if installing is not None else nullcontext():
                    install_seconds = npm_install(rendered.destination, npm=npm).seconds
            except InstallError as error:
                install_error = error
            lockfiles = _lockfiles(rendered.destination)
            with interruptions_deferred():
                if install_seconds is not None and rendered.prepared and lockfiles:
                    amend_initial_commit(rendered.destination, paths=lockfiles)
                progress.installed = install_seconds is not None
    except KeyboardInterrupt:
        with interruptions_deferred():  # a second Ctrl-C does not stop the clean-up
            interrupted = progress.interrupted()
        raise interrupted from None
    return GenerateOutcome(
        render=rendered,
        install_seconds=install_seconds,
        install_skipped_reason=skipped,
        install_error=install_error,
        git_committed=progress.committed,
    )


@dataclass
class _Progress:
    """How far `scaffold new` got, to say what an interruption left behind."""

    project: Path | None = None
    committed: bool = False
    install_started: bool = False
    installed: bool = False

    def written(self, result: RenderResult) -> None:
        self.project = result.destination
        self.committed = result.prepared

    def interrupted(self) -> GenerationInterrupted:
        if self.project is None:
            return GenerationInterrupted("Interrupted: nothing was written.")
        shown = _shown(self.project)
        state = "complete and committed" if self.committed else "complete"
        if self.installed:
            return GenerationInterrupted(f"Interrupted: {shown} is {state}; nothing is left to do.")
        if self.install_started:
            _discard_partial_install(self.project)
        return GenerationInterrupted(
            f"Interrupted: {shown} is {state}; left to do: cd {shown} && npm install"
        )


def _commit(project: Path, message: str) -> None:
    init_repository(project, message=message)


def _lockfiles(project: Path) -> list[str]:
    return [name for name in ("package-lock.json",) if (project / name).is_file()]


def _discard_partial_install(project: Path) -> None:
    """Remove what a stopped `npm install` wrote: the project is then as it was rendered."""
    shutil.rmtree(project / "node_modules", ignore_errors=True)
    if not (project / ".git").exists() or not is_tracked(project, "package-lock.json"):
        (project / "package-lock.json").unlink(missing_ok=True)


def _shown(project: Path) -> str:
    try:
        return str(project.relative_to(Path.cwd()))
    except ValueError:
        return str(project)
