"""`scaffold check`: the CI smoke test of a generated project, step by step, with a report."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

from scaffold.errors import ProbeError, ScaffoldError
from scaffold.git_repo import git_output
from scaffold.npm import run_in_own_group
from scaffold.probes import (
    drain_under_load,
    free_port,
    probe_endpoints,
    read_env_file,
    service_environment,
    start_server,
)
from scaffold.static_checks import STATIC_CHECKS, run_static_check
from scaffold.step_summary import meaningful_lines, summarize

NPM_STEPS = {
    "install": ("npm", "ci", "--no-audit", "--no-fund"),
    "lint": ("npm", "run", "lint"),
    "format": ("npm", "run", "format:check"),
    "typecheck": ("npm", "run", "typecheck"),
    "test": ("npm", "test"),
    "build": ("npm", "run", "build"),
}
STEPS = (*NPM_STEPS, "migrate", "boot", "drain", *(check.name for check in STATIC_CHECKS))
# A step is skipped when the step it needs failed (or was skipped for that reason).
NEEDS = {
    "lint": "install",
    "format": "install",
    "typecheck": "install",
    "test": "install",
    "build": "install",
    "migrate": "build",
    "boot": "migrate",
    "drain": "boot",
}
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass(frozen=True)
class StepResult:
    """One step: passed, failed or skipped, how long it took, and what it said."""

    name: str
    status: str
    seconds: float
    detail: str = ""
    summary: str = ""  # one line: what the step found ("155 tests passed"), for the table

    @property
    def headline(self) -> str:
        """The summary, or else the last line of the detail."""
        return self.summary or (self.detail.splitlines()[-1] if self.detail else "")


@dataclass
class CheckReport:
    """Every step of one `scaffold check` run."""

    project: Path
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No step failed."""
        return all(step.status != FAILED for step in self.steps)

    def to_json(self) -> str:
        """The report as JSON for CI."""
        return json.dumps(
            {
                "project": str(self.project),
                "ok": self.ok,
                "steps": [asdict(step) for step in self.steps],
            },
            indent=2,
        )

    def to_junit(self) -> str:
        """The report as JUnit XML (one test case a step)."""
        suite = ElementTree.Element(
            "testsuite",
            name="scaffold check",
            tests=str(len(self.steps)),
            failures=str(sum(step.status == FAILED for step in self.steps)),
            skipped=str(sum(step.status == SKIPPED for step in self.steps)),
            time=f"{sum(step.seconds for step in self.steps):.3f}",
        )
        for step in self.steps:
            case = ElementTree.SubElement(
                suite, "testcase", classname="scaffold.check", name=step.name
            )
            case.set("time", f"{step.seconds:.3f}")
            if step.status == FAILED:
                ElementTree.SubElement(
                    case, "failure", message=f"{step.name} failed"
                ).text = step.detail
            elif step.status == SKIPPED:
                ElementTree.SubElement(case, "skipped", message=step.detail)
        return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)


def write_report(project: Path, path: Path, text: str) -> None:
    """Write a report file, keeping one inside the project's git tree out of `git status`.

    The path goes into `.git/info/exclude` (a local ignore: no tracked file changes), so the tree
    stays clean for the next command (`scaffold update`, `scaffold add` need a clean tree).
    """
    path.write_text(text, encoding="utf-8")
    top = _git_output(project, "rev-parse", "--show-toplevel")
    if top is None:
        return
    try:
        relative = path.resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        return
    if _git_output(project, "ls-files", "--error-unmatch", "--", relative) is not None:
        return  # tracked: the user chose to commit it
    if _git_output(project, "check-ignore", "--quiet", "--", relative) is not None:
        return  # already ignored
    exclude = _git_output(project, "rev-parse", "--git-path", "info/exclude")
    if exclude is None:
        return
    exclude_path = Path(exclude) if Path(exclude).is_absolute() else project / exclude
    exclude_path.parent.mkdir(parents=True, exist_ok=True)
    with exclude_path.open("a", encoding="utf-8") as ignored:
        ignored.write(f"/{relative}\n")


def _git_output(project: Path, *args: str) -> str | None:
    output = git_output(project, *args)
    return None if output is None else output.strip()


def select_steps(*, only: Iterable[str] = (), skip: Iterable[str] = ()) -> list[str]:
    """The steps to run, in order; unknown names are a user error listing the valid ones."""
    only, skip = list(only), list(skip)
    for name in [*only, *skip]:
        if name not in STEPS:
            msg = f"Unknown check step '{name}'. Steps: {', '.join(STEPS)}."
            raise ScaffoldError(msg)
    return [step for step in STEPS if (not only or step in only) and step not in skip]


def check_project(
    project: Path,
    *,
    steps: Iterable[str] = STEPS,
    env: Mapping[str, str] | None = None,
    env_file: Path | None = None,
    boot_timeout: float = 30,
    on_step: Callable[[str], None] | None = None,
    on_result: Callable[[StepResult], None] | None = None,
) -> CheckReport:
    """Run the steps in order; a step whose prerequisite failed is skipped, not run.

    Every step sees the environment; the server steps (migrate, boot, drain) also see the
    values of `.env.example`, replaced by those of `env_file` (e.g. the developer's `.env`),
    both replaced by variables set in the environment, then by `env`.
    """
    project = project.resolve()
    if not (project / "package.json").is_file():
        msg = f"{project} has no package.json: is it a project generated by scaffold?"
        raise ScaffoldError(msg)
    if env_file is not None and not env_file.is_file():
        msg = f"--env-file {env_file} does not exist."
        raise ScaffoldError(msg)
    environment = dict(env or {})
    defaults = read_env_file(project / ".env.example")
    if env_file is not None:
        defaults.update(read_env_file(env_file))
    report = CheckReport(project=project)
    broken: dict[str, str] = {}  # step -> the failed step it comes down to
    for name in steps:
        if on_step:
            on_step(name)
        started = time.monotonic()
        cause = broken.get(NEEDS.get(name, ""))
        if cause:
            result = StepResult(name, SKIPPED, 0.0, f"skipped: {cause} failed")
            broken[name] = cause
        elif name in NPM_STEPS:
            result = _npm_step(project, name, environment, started)
        elif name == "migrate":
            server_env = service_environment(defaults, environment)
            result = _migrate_step(project, server_env, started)
        elif name in ("boot", "drain"):
            server_env = service_environment(defaults, environment)
            result = _server_step(project, name, server_env, started, boot_timeout)
        else:
            result = _static_step(project, name, started)
        if result.status == FAILED:
            broken[name] = name
        report.steps.append(result)
        if on_result:
            on_result(result)
    return report


def _static_step(project: Path, name: str, started: float) -> StepResult:
    check = next(check for check in STATIC_CHECKS if check.name == name)
    run = run_static_check(check, project)
    if run.missing:
        return StepResult(name, SKIPPED, 0.0, f"not installed: {run.missing}")
    if run.files == 0:
        return StepResult(name, SKIPPED, 0.0, run.output)
    seconds = time.monotonic() - started
    if run.ok:
        return StepResult(name, PASSED, seconds, f"{run.files} file(s) clean")
    return StepResult(name, FAILED, seconds, _tail(run.output))


def _npm_step(project: Path, name: str, env: Mapping[str, str], started: float) -> StepResult:
    if name == "install" and not (project / "package-lock.json").is_file():
        detail = "no package-lock.json: run `npm install` and commit the lockfile (npm ci needs it)"
        return StepResult(name, FAILED, 0.0, detail)
    return _run_step(project, name, NPM_STEPS[name], {**os.environ, **env}, started)


def _migrate_step(project: Path, env: Mapping[str, str], started: float) -> StepResult:
    """`npm run migrate` against the database the boot step will use, when the project has one."""
    try:
        package = json.loads((project / "package.json").read_text(encoding="utf-8"))
    except ValueError as error:
        return StepResult("migrate", FAILED, 0.0, f"package.json is not valid JSON: {error}")
    if "migrate" not in (package.get("scripts") or {}):
        return StepResult("migrate", SKIPPED, 0.0, "no migrate script: the project has no database")
    result = _run_step(project, "migrate", ("npm", "run", "migrate"), env, started)
    if result.status == FAILED:
        target = describe_database_url(env.get("DATABASE_URL", ""))
        return replace(
            result,
            detail=f"DATABASE_URL: {target}\n{result.detail}",
            summary=f"failed against {target}",
        )
    return result


def describe_database_url(url: str) -> str:
    """Host, port and database of a connection URL: never its user's password."""
    if not url:
        return "not set"
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "not a valid URL"
    database = parts.path.lstrip("/") or "(default database)"
    return f"host {host}{port}, database {database}"


def _run_step(
    project: Path, name: str, command: Iterable[str], env: Mapping[str, str], started: float
) -> StepResult:
    """Run one command in the project: passed on exit code 0, with its last output lines.

    The command runs in its own process group, stopped whole on a timeout or Ctrl-C.
    """
    try:
        completed = run_in_own_group(list(command), cwd=project, env=env, timeout=1800)
    except subprocess.TimeoutExpired:
        return StepResult(name, FAILED, time.monotonic() - started, "timed out after 30 min")
    ok = completed.returncode == 0
    output = f"{completed.stdout}\n{completed.stderr}"
    return StepResult(
        name,
        PASSED if ok else FAILED,
        time.monotonic() - started,
        "\n".join(meaningful_lines(output)[-25:]),
        summarize(name, ok=ok, output=output),
    )


def _server_step(
    project: Path, name: str, env: Mapping[str, str], started: float, timeout: float
) -> StepResult:
    if not (project / "dist" / "server.js").is_file():
        return StepResult(name, FAILED, 0.0, "dist/server.js is missing: run the build step")
    port_env = {**env, "PORT": str(free_port()), "HOST": "127.0.0.1"}
    # The drain must end within the service's own deadline, plus a margin for process exit.
    deadline = int(env.get("SHUTDOWN_TIMEOUT_MS", "10000") or 10000) / 1000 + 5
    try:
        with start_server(project, port_env, timeout=timeout) as server:
            if name == "boot":
                verified = probe_endpoints(server)
                detail = f"live after {server.ready_after_ms} ms; " + "; ".join(verified)
            else:
                detail = drain_under_load(server, deadline_s=deadline)
    except (ProbeError, OSError, ValueError) as error:
        return StepResult(name, FAILED, time.monotonic() - started, _tail(str(error)))
    return StepResult(name, PASSED, time.monotonic() - started, detail)


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
