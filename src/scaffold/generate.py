"""`scaffold new` as a function: gather answers, render, install, commit."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold import __version__
from scaffold.errors import InstallError
from scaffold.git_repo import find_git, init_repository
from scaffold.npm import find_npm, npm_install, require_npm
from scaffold.presets import load_preset
from scaffold.questions import check_known, load_answers_file, load_questions, parse_data_pairs
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


def collect_answers(options: GenerateOptions) -> dict[str, Any]:
    """Merge answers, later sources winning: preset, then answers file, then --data."""
    source = find_template_source()
    questions = load_questions(source.copier_yml)
    answers: dict[str, Any] = {}
    if options.preset is not None:
        preset = load_preset(source.presets_dir, options.preset)
        check_known(preset.answers, questions, origin=f"preset '{preset.name}'")
        answers.update(preset.answers)
    if options.answers_file is not None:
        from_file = load_answers_file(options.answers_file)
        check_known(from_file, questions, origin=str(options.answers_file))
        answers.update(from_file)
    from_data = parse_data_pairs(options.data, questions)
    check_known(from_data, questions, origin="--data")
    answers.update(from_data)
    return answers


def generate_project(
    options: GenerateOptions,
    *,
    confirm: Callable[[RenderResult], bool] | None = None,
    installing: Callable[[], AbstractContextManager[None]] | None = None,
) -> GenerateOutcome:
    """Render a new project and, unless told otherwise, install it and commit it."""
    answers = collect_answers(options)
    # Fail on missing tools before anything is written.
    if options.git and not options.pretend:
        find_git()
    npm = require_npm() if options.install is True and not options.pretend else find_npm()

    rendered = render_project(
        options.destination,
        answers=answers,
        interactive=options.interactive,
        force=options.force,
        pretend=options.pretend,
        confirm=confirm,
    )
    if not rendered.written:
        return GenerateOutcome(render=rendered)

    install_seconds = None
    skipped = None
    install_error = None
    if options.install is False:
        skipped = "Skipped npm install (--no-install): run `npm install` in the project."
    elif npm is None:
        skipped = "npm was not found, so dependencies were not installed: run `npm install` later."
    else:
        try:
            if installing is None:
                install_seconds = npm_install(rendered.destination, npm=npm).seconds
            else:
                with installing():
                    install_seconds = npm_install(rendered.destination, npm=npm).seconds
        except InstallError as error:
            install_error = error

    committed = options.git and init_repository(
        rendered.destination, message=f"Generate project with scaffold {__version__}"
    )
    return GenerateOutcome(
        render=rendered,
        install_seconds=install_seconds,
        install_skipped_reason=skipped,
        install_error=install_error,
        git_committed=committed,
    )
