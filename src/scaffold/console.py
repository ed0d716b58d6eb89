"""All terminal output: the only module besides the CLI that knows about Rich."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.spinner import Spinner
from rich.table import Table
from rich.tree import Tree

from scaffold.check import CheckReport, StepResult
from scaffold.generate import GenerateOutcome
from scaffold.presets import Preset
from scaffold.project import ANSWERS_FILE
from scaffold.questions import Question
from scaffold.resources import AddedResource
from scaffold.update import UpdateResult

console = Console(highlight=False)
error_console = Console(stderr=True, highlight=False)


def print_error(message: str) -> None:
    """One red message, no traceback."""
    error_console.print(f"[bold red]Error:[/] [red]{_escape(message)}[/]")


def print_notice(message: str) -> None:
    """One yellow line on stderr: something stopped, and what is left to do."""
    error_console.print(f"[yellow]{_escape(message)}[/]", soft_wrap=True)


def print_info(message: str) -> None:
    """A plain line of information (printed as text: brackets in it are not markup)."""
    console.print(_escape(message))


def print_summary(answers: Mapping[str, Any], questions: Sequence[Question]) -> None:
    """The answers a project is about to be generated from: one line each, no frame.

    Compact so that, printed right above the confirmation prompt, every answer is on screen in
    an 80x24 terminal.
    """
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 2))
    table.add_column("question", style="bold", no_wrap=True)
    table.add_column("answer", overflow="fold")
    for question in questions:
        if question.asked and question.name in answers:
            table.add_row(_escape(question.name), _escape(_format_answer(answers[question.name])))
    console.print("[bold]Your answers[/]")
    console.print(table)


def print_tree(root: Path, files: Sequence[Path], *, title: str, collapsed: bool = False) -> None:
    """A tree of relative file paths under `root`.

    Collapsed, each top-level folder is one line with the number of files under it; otherwise
    every file is listed.
    """
    tree = Tree(f"[bold]{_escape(str(root))}[/]")
    if collapsed:
        counts: dict[str, int] = {}
        for file in files:
            if len(file.parts) > 1:
                counts[file.parts[0]] = counts.get(file.parts[0], 0) + 1
        for top, count in sorted(counts.items()):
            noun = "file" if count == 1 else "files"
            tree.add(f"[bold blue]{_escape(top)}/[/] ({count} {noun})")
        for file in files:
            if len(file.parts) == 1:
                tree.add(_escape(file.name))
    else:
        nodes: dict[Path, Tree] = {Path(): tree}
        for file in files:
            for depth in range(1, len(file.parts)):
                folder = Path(*file.parts[:depth])
                if folder not in nodes:
                    nodes[folder] = nodes[folder.parent].add(
                        f"[bold blue]{_escape(folder.name)}/[/]"
                    )
            nodes[file.parent].add(_escape(file.name))
    console.print(tree)
    if title:
        console.print(_escape(title))


def print_generated(outcome: GenerateOutcome) -> None:
    """What `scaffold new` wrote (or would write), installed and committed."""
    result = outcome.render
    if not result.written:
        print_tree(
            result.destination,
            result.files,
            title=f"{len(result.files)} files would be written. Nothing was written (--pretend).",
        )
        return
    print_tree(
        result.destination,
        result.files,
        title=f"Created {len(result.files)} files (`scaffold new --pretend` lists every one).",
        collapsed=True,
    )
    if outcome.install_seconds is not None:
        print_info(f"Installed npm dependencies in {outcome.install_seconds:.1f} s.")
    elif outcome.install_skipped_reason:
        print_info(outcome.install_skipped_reason)
    if outcome.git_committed:
        print_info("Created a git repository with an initial commit.")


def print_next_steps(
    project: Path, answers: Mapping[str, Any], *, installed: bool, relative_to: Path
) -> None:
    """What to run next in the new project."""
    try:
        shown = project.relative_to(relative_to)
    except ValueError:
        shown = project
    steps = [f"cd {shown}"]
    if not installed:
        steps.append("npm install")
    steps += [
        "cp .env.example .env          # local configuration",
        "npm run dev                   # start with reload",
        "npm test                      # unit and API tests",
    ]
    if "compose" in (answers.get("deploy") or []):
        steps.append("docker compose up --build     # the service and its dependencies")
    console.print(
        Panel(
            _escape("\n".join(steps)), title="Next steps", title_align="left", border_style="green"
        )
    )


def presets_table(presets: Sequence[Preset]) -> None:
    """The presets with their key answers."""
    table = Table(title="Presets (use with: scaffold new --preset NAME)", header_style="bold")
    for column in ("preset", "what it is for", "answers"):
        table.add_column(column)
    for preset in presets:
        answers = ", ".join(
            f"{key}={_format_answer(value)}"
            for key, value in preset.answers.items()
            if key != "project_name"
        )
        table.add_row(
            f"[bold]{_escape(preset.name)}[/]", _escape(preset.description), _escape(answers)
        )
    console.print(table)


@contextmanager
def spinner(message: str) -> Iterator[None]:
    """A spinner with elapsed time while a long step runs."""
    columns = (SpinnerColumn(), TextColumn(message), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        progress.add_task(message, total=None)
        yield


def print_update(result: UpdateResult) -> None:
    """What an update changed (or would), and what is left to do."""
    if result.source_note:
        console.print(f"[yellow]{_escape(result.source_note)}[/]")
    versions = f"Template {_escape(result.from_version)} → {_escape(result.to_version)}"
    if result.up_to_date:
        console.print(f"{versions}: already up to date, nothing to change.")
        return
    verb = "would change" if result.pretend else "changed"
    console.print(f"{versions}: {len(result.changed)} file(s) {verb}.")
    conflict_mark = "[bold red]would conflict[/] " if result.pretend else "[bold red]conflict[/] "
    for path in result.changed:
        mark = conflict_mark if path in result.conflicts else ""
        new = " [green](new)[/]" if path in result.created else ""
        gone = " [yellow](removed)[/]" if path in result.removed else ""
        console.print(f"  {mark}{_escape(path)}{new}{gone}")
    for path in result.kept:
        moved_to = result.kept_moved_to.get(path)
        if moved_to is not None:
            console.print(
                f"  [yellow]kept[/] {_escape(path)}: the template moved it to "
                f"{_escape(moved_to)}; port your changes there, then delete this copy."
            )
            continue
        console.print(
            f"  [yellow]kept[/] {_escape(path)}: the template no longer has it, but you changed "
            "it; delete it yourself if it is not needed."
        )
    if result.compose_mounts_removed:
        console.print(
            "  [yellow]compose.yaml still mounts files that were removed:[/] "
            + _escape(", ".join(result.compose_mounts_removed))
            + ". Remove those mounts (or the file) before `docker compose up`."
        )
    for path in result.migrations_kept:
        console.print(
            f"  [yellow]kept[/] {_escape(path)}: the feature is gone, but a database that applied "
            "this migration needs it (docs/adr/0003-data-store.md)."
        )
    if result.pretend:
        _print_pretend_summary(result)
        return
    _print_lockfile(result)
    if result.created:
        console.print(
            f"{len(result.created)} new file(s) are untracked: `git add -A` them "
            "(a `git commit -am` would miss them)."
        )
    if result.conflicts:
        moved = [
            path for path in result.changed if path not in result.conflicts and path != ANSWERS_FILE
        ]
        elsewhere = (
            "\n\nThe template also changed these files in this update; code it moved out of a "
            "conflicted file is in one of them:\n  " + "\n  ".join(moved)
            if moved
            else ""
        )
        console.print(
            Panel(
                _escape(
                    "\n".join(result.conflicts)
                    + "\n\nEach file holds '<<<<<<< before updating' … '>>>>>>> after updating' "
                    "markers: keep what you need, delete the markers, then commit." + elsewhere
                ),
                title=f"[bold red]{len(result.conflicts)} conflict(s) to resolve[/]",
                title_align="left",
                border_style="red",
            )
        )
        console.print(
            f"To back out of the whole update instead: {_escape(result.backout)}", soft_wrap=True
        )
    else:
        console.print("[green]No conflicts.[/] Review with `git diff`, then commit.")


def _print_pretend_summary(result: UpdateResult) -> None:
    if result.conflicts:
        console.print(
            f"[bold red]{len(result.conflicts)} file(s) would conflict[/] (both you and the "
            "template changed the same lines): "
            + _escape(", ".join(result.conflicts))
            + ". Nothing was changed (--pretend)."
        )
    else:
        console.print("No conflicts expected. Nothing was changed (--pretend).")
    if "package.json" in result.changed:
        console.print(
            "package.json would change: the update then refreshes package-lock.json "
            "(or, without npm, prints the command to run)."
        )


def _print_lockfile(result: UpdateResult) -> None:
    lockfile = result.lockfile
    if "package.json" in result.conflicts:
        console.print("package.json has conflicts: resolve them, then run `npm install`.")
    elif lockfile is not None and lockfile.refreshed:
        console.print(
            "package.json changed: refreshed package-lock.json "
            "(npm install --package-lock-only); `npm ci` installs it."
        )
    elif lockfile is not None and lockfile.todo:
        console.print(
            f"package.json changed ({_escape(lockfile.reason)}): run `{_escape(lockfile.todo)}` "
            "so package-lock.json matches it (`npm ci` fails otherwise)."
        )


def print_resource_added(result: AddedResource) -> None:
    """The files `scaffold add resource` created and changed, and what to run next."""
    console.print(
        f"Added the [bold]{_escape(result.names.plural)}[/] resource: "
        f"{len(result.created)} file(s) created, {len(result.changed)} changed."
    )
    for path in result.created:
        console.print(f"  [green]created[/] {_escape(path)}")
    for path in result.changed:
        console.print(f"  [yellow]changed[/] {_escape(path)}")
    steps = []
    if not result.formatted:
        steps.append("npm install && npm run format   # Prettier was not installed yet")
    steps.append("npm run lint && npm run typecheck && npm test")
    if result.migration is not None:
        steps += [
            f"npm run build && npm run migrate   # applies {result.migration}",
            "npm run test:integration          # with DATABASE_URL set",
        ]
    steps.append(f"git add -A && git commit -m 'Add the {result.names.plural} resource'")
    console.print(
        Panel(
            _escape("\n".join(steps)),
            title="Next steps",
            title_align="left",
            border_style="green",
        )
    )


_STATUS_STYLE = {"passed": "green", "failed": "bold red", "skipped": "yellow"}


class CheckProgress:
    """The table of `scaffold check` steps.

    In a terminal it is live, with a spinner on the running step; otherwise it is printed once
    when done, so a CI log gets whole lines, never a redrawn table glued to the next line.
    """

    def __init__(self, project: Path) -> None:
        self.project = project
        self.results: list[StepResult] = []
        self.current: str | None = None
        self._live = (
            Live(self._render(), console=console, refresh_per_second=8, transient=False)
            if console.is_terminal
            else None
        )

    def __enter__(self) -> CheckProgress:
        if self._live is not None:
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.current = None
        if self._live is None:
            console.print(self._render())
            return
        self._live.update(self._render())
        self._live.__exit__(None, None, None)

    def start(self, step: str) -> None:
        """Show a step as running."""
        self.current = step
        if self._live is not None:
            self._live.update(self._render())

    def finish(self, result: StepResult) -> None:
        """Show a step's outcome."""
        self.results.append(result)
        self.current = None
        if self._live is not None:
            self._live.update(self._render())

    def _render(self) -> Group:
        table = Table(title=f"scaffold check {_escape(str(self.project))}", header_style="bold")
        for column in ("step", "result", "time", "detail"):
            table.add_column(column)
        for result in self.results:
            style = _STATUS_STYLE[result.status]
            detail = "see below" if result.status == "failed" else result.headline
            table.add_row(
                result.name,
                f"[{style}]{result.status}[/]",
                f"{result.seconds:.1f} s",
                _escape(detail[:80]),
            )
        if self.current:
            table.add_row(self.current, Spinner("dots", text="running"), "", "")
        return Group(table)


def print_check_failures(report: CheckReport) -> None:
    """The last output lines of every failed step."""
    for step in report.steps:
        if step.status == "failed":
            console.print(
                Panel(
                    _escape(step.detail or "(no output)"),
                    title=f"[bold red]{step.name} failed[/]",
                    title_align="left",
                    border_style="red",
                )
            )
    total = sum(step.seconds for step in report.steps)
    verdict = "[bold green]all checks passed[/]" if report.ok else "[bold red]checks failed[/]"
    console.print(f"{verdict} in {total:.1f} s")


def _format_answer(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]" if value else "[]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _escape(text: str) -> str:
    """User text as literal text, never Rich markup (`[metrics, tracing]` stays visible)."""
    return escape(text)
