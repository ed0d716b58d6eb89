"""The command line: parse, call the core, print. No logic lives here."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

import scaffold
from scaffold.errors import GenerationInterrupted, ScaffoldError

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="scaffold",
    help=(
        "Generate production-ready Node.js + TypeScript services (Fastify 5) from a short "
        "questionnaire.\n\n"
        "\b\nExamples:\n"
        "  scaffold new                      # ask the questions, then write ./<slug>\n"
        "  scaffold new orders --defaults    # every default, no questions\n"
        "  scaffold new orders --preset api  # Postgres, Redis, BullMQ, tracing, JWT\n"
        "  scaffold presets                  # list the presets"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a ScaffoldError into one red message and exit code 1: the only place that does."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except GenerationInterrupted as error:
            from scaffold.console import print_notice

            print_notice(error.message)
            raise typer.Exit(error.exit_code) from None
        except ScaffoldError as error:
            from scaffold.console import print_error

            print_error(error.message)
            raise typer.Exit(1) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scaffold {scaffold.__version__}")
        raise typer.Exit


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Generate production-ready Node.js + TypeScript services."""


@app.command(
    epilog=(
        "\b\nExamples:\n"
        "  scaffold new orders --defaults --no-install\n"
        "  scaffold new orders --preset api --data http_port=8080\n"
        "  scaffold new orders -y --data 'deploy=[compose, kubernetes]' --data auth=jwt\n"
        "  scaffold new orders --answers-file answers.yml --pretend"
    )
)
@user_errors
def new(
    destination: Annotated[
        Path | None,
        typer.Argument(help="Directory to create (default: ./<project_slug>).", show_default=False),
    ] = None,
    defaults: Annotated[
        bool,
        typer.Option("--defaults", "-y", help="Answer every question not given with its default."),
    ] = False,
    preset: Annotated[
        str | None,
        typer.Option("--preset", help="Start from a preset's answers (see `scaffold presets`)."),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            help="Answer a question: KEY=VALUE, VALUE parsed as YAML (repeatable).",
        ),
    ] = None,
    answers_file: Annotated[
        Path | None,
        typer.Option("--answers-file", help="YAML file of answers (question: answer)."),
    ] = None,
    pretend: Annotated[
        bool, typer.Option("--pretend", help="Show the files that would be written; write none.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Write into a non-empty directory (same-named files replaced)."
        ),
    ] = False,
    git: Annotated[
        bool,
        typer.Option("--git/--no-git", help="Create a git repository with an initial commit."),
    ] = True,
    install: Annotated[
        bool | None,
        typer.Option(
            "--install/--no-install",
            help="Run npm install in the new project (default: when npm is found).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create a new service from the questionnaire."""
    from scaffold import console
    from scaffold.generate import GenerateOptions, generate_project
    from scaffold.interrupts import sigterm_as_interrupt

    options = GenerateOptions(
        destination=destination,
        preset=preset,
        answers_file=answers_file,
        data=data or [],
        interactive=not (defaults or preset is not None or answers_file is not None),
        pretend=pretend,
        force=force,
        git=git,
        install=install,
    )
    with sigterm_as_interrupt():  # nothing is left half-written
        outcome = generate_project(
            options,
            confirm=_confirm_before_writing if options.interactive else None,
            installing=lambda: console.spinner("Installing npm dependencies (npm install)"),
        )
    console.print_generated(outcome)
    if not outcome.render.written:
        return
    if outcome.install_error is not None:
        raise outcome.install_error
    console.print_next_steps(
        outcome.render.destination,
        outcome.render.answers,
        installed=outcome.install_seconds is not None,
        relative_to=Path.cwd(),
    )


def _confirm_before_writing(rendered: Any) -> bool:
    from scaffold import console
    from scaffold.questions import load_questions
    from scaffold.template_source import find_template_source

    questions = load_questions(find_template_source().copier_yml)
    # The tree first, then the answers right above the prompt: in an 80x24 terminal the answers
    # are what is on screen when the question is asked.
    console.print_tree(rendered.destination, rendered.files, title="", collapsed=True)
    console.print_summary(rendered.answers, questions)
    try:
        return typer.confirm(
            f"Write these {len(rendered.files)} files to {_shown(rendered.destination)}?",
            default=True,
        )
    except typer.Abort:  # Ctrl-C (or end of input) at the prompt: like Ctrl-C anywhere else
        typer.echo(err=True)  # end the prompt's line
        raise KeyboardInterrupt from None


def _shown(path: Path) -> str:
    """A path as the user typed it: relative to the working directory when it is inside it."""
    try:
        return f"./{path.relative_to(Path.cwd())}"
    except ValueError:
        return str(path)


@app.command(epilog="Example: scaffold new orders --preset api")
@user_errors
def presets() -> None:
    """List the presets: named answer sets for common kinds of service."""
    from scaffold import console
    from scaffold.presets import list_presets
    from scaffold.template_source import find_template_source

    console.presets_table(list_presets(find_template_source().presets_dir))


@app.command(
    epilog=(
        "\b\nExamples:\n"
        "  scaffold update                        # to this scaffold's template, same answers\n"
        "  scaffold update orders --data queue=bullmq   # change an answer: adds the worker\n"
        "  scaffold update --pretend              # show what would change\n"
        "  scaffold update --vcs-ref v0.1.0       # a specific template version\n"
        "  scaffold update services/orders        # a project inside a larger repository"
    )
)
@user_errors
def update(
    project: Annotated[
        Path, typer.Argument(metavar="[PATH]", help="The generated project (default: .).")
    ] = Path(),
    defaults: Annotated[
        bool,
        typer.Option("--defaults", "-y", help="Reuse the recorded answers without asking."),
    ] = False,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", help="Change an answer: KEY=VALUE (repeatable)."),
    ] = None,
    answers_file: Annotated[
        Path | None,
        typer.Option("--answers-file", help="YAML file of answers to change."),
    ] = None,
    pretend: Annotated[
        bool, typer.Option("--pretend", help="Show what would change; change nothing.")
    ] = False,
    vcs_ref: Annotated[
        str | None,
        typer.Option("--vcs-ref", help="Template version (git tag or commit) to update to."),
    ] = None,
    recorded_source: Annotated[
        bool,
        typer.Option(
            "--recorded-source",
            help="Update from the template source the project recorded (_src_path), "
            "not from this scaffold's template.",
        ),
    ] = False,
) -> None:
    """Update a generated project to this scaffold's template, keeping your edits.

    Template changes are merged with yours; real conflicts are marked inline in the files and
    listed, and the exit code is 1 until you resolve them. The project's own directory must be
    committed (the rest of a monorepo does not matter); a failed update changes nothing.
    """
    from scaffold import console
    from scaffold.generate import GenerateOptions, collect_answers
    from scaffold.update import update_project

    answers = collect_answers(
        GenerateOptions(destination=None, answers_file=answers_file, data=data or [])
    )
    interactive = not defaults and sys.stdin.isatty()
    result = update_project(
        project,
        answers=answers,
        interactive=interactive,
        vcs_ref=vcs_ref,
        pretend=pretend,
        recorded_source=recorded_source,
    )
    console.print_update(result)
    if result.conflicts and not result.pretend:
        raise typer.Exit(1)


@app.command(
    epilog=(
        "\b\nExamples:\n"
        "  scaffold check                         # every step in the current project\n"
        "  scaffold check orders --skip install   # dependencies already installed\n"
        "  scaffold check --only boot --only drain\n"
        "  scaffold check --junit check.xml --json > check.json"
    )
)
@user_errors
def check(
    project: Annotated[
        Path, typer.Argument(metavar="[PATH]", help="The generated project (default: .).")
    ] = Path(),
    skip: Annotated[
        list[str] | None, typer.Option("--skip", metavar="STEP", help="Skip a step (repeatable).")
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="STEP", help="Run only this step (repeatable)."),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option(
            "--junit",
            metavar="FILE",
            help="Write a JUnit XML report to FILE (inside the project: kept out of git status).",
        ),
    ] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            metavar="FILE",
            help="Variables for migrate, boot and drain, e.g. your .env (over .env.example; "
            "variables set in the environment win).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON instead of a table.")
    ] = False,
) -> None:
    """Smoke-test a generated project in CI, step by step.

    Install, lint, format, typecheck, test, build, apply the migrations (projects with a
    database: point DATABASE_URL at a throwaway one), boot, drain under SIGTERM, then lint its
    Dockerfile, workflows and manifests with the linters that are installed.

    Steps: install, lint, format, typecheck, test, build, migrate, boot, drain, dockerfile,
    workflows, gitlab-ci, compose, manifests. Exit code 1 when any step fails.
    """
    from scaffold import console
    from scaffold.check import check_project, select_steps, write_report

    steps = select_steps(only=only or (), skip=skip or ())
    if as_json:
        report = check_project(project, steps=steps, env_file=env_file)
        typer.echo(report.to_json())
    else:
        with console.CheckProgress(project.resolve()) as progress:
            report = check_project(
                project,
                steps=steps,
                env_file=env_file,
                on_step=progress.start,
                on_result=progress.finish,
            )
        console.print_check_failures(report)
    if junit is not None:
        write_report(project, junit, report.to_junit())
    if not report.ok:
        raise typer.Exit(1)


add_app = typer.Typer(
    help=(
        "Add code to a generated project.\n\n"
        "\b\nExamples:\n"
        "  scaffold add resource customers                   # in the project's root\n"
        "  scaffold add resource line-items --path orders\n"
        "  scaffold add resource people --singular person"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(add_app, name="add")


@add_app.command(
    epilog=(
        "\b\nExamples:\n"
        "  scaffold add resource customers\n"
        "  scaffold add resource line-items --path orders\n"
        "  scaffold add resource people --singular person"
    )
)
@user_errors
def resource(
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Plural, lowercase kebab-case: customers, line-items."),
    ],
    path: Annotated[
        Path, typer.Option("--path", help="The generated project (default: .).")
    ] = Path(),
    singular: Annotated[
        str | None,
        typer.Option("--singular", help="The singular, when it is not NAME minus its plural 's'."),
    ] = None,
) -> None:
    """Add a resource: routes, controller, service, repositories, schemas and tests.

    POST /NAME, GET /NAME/:id and GET /NAME (cursor pages), listed in src/resources/registry.ts;
    with Postgres also a repository, a migration and an integration test. The project must be
    committed in git.
    """
    from scaffold import console
    from scaffold.resources import add_resource

    console.print_resource_added(add_resource(path, name, singular=singular))


def main() -> None:
    """Console-script entry point."""
    app()
