"""The OpenAPI document as its consumers meet it: their tools, installed once, run on loopback only.

Redocly's CLI lints the document; openapi-typescript and openapi-fetch make a typed client of it.
None of them is a dependency of the generated project, so the tests install them into a cache
directory (`~/.cache/scaffold-tests`, or `$XDG_CACHE_HOME`), once for every run and xdist worker.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.generated import REAL_NODE, node_environment, run

REDOCLY_CLI = "@redocly/cli@2.77.0"

# Redocly's CLI sends usage data and checks for updates unless told not to.
REDOCLY_ENV = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}

# The two health probes answer 200 or 503 and cannot answer a 4xx (docs/adr/0010 of the generated
# project says why); `operation-4xx-response` stays on for every other operation.
PROBES_WITHOUT_4XX = (
    "#/paths/~1health~1live/get/responses",
    "#/paths/~1health~1ready/get/responses",
)


def cache_root() -> Path:
    """Where the tools are installed: kept between runs, shared by the xdist workers."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "scaffold-tests"


def npm_tools(name: str, packages: Sequence[str]) -> Path:
    """A directory with PACKAGES installed from the npm registry; installed once, then reused."""
    key = hashlib.sha256("\n".join(sorted(packages)).encode()).hexdigest()[:12]
    directory = cache_root() / f"{name}-{key}"
    directory.parent.mkdir(parents=True, exist_ok=True)
    with (directory.parent / f"{directory.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / ".installed").is_file():
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir()
            package = {"name": name, "private": True, "type": "module"}
            (directory / "package.json").write_text(json.dumps(package), encoding="utf-8")
            run(directory, "npm", "install", "--no-audit", "--no-fund", *packages, timeout=900)
            (directory / ".installed").touch()
    return directory


@dataclass(frozen=True)
class LintResult:
    """Redocly's totals for one document, and its problems (rule, severity, where, message)."""

    errors: int
    warnings: int
    ignored: int
    problems: list[dict[str, Any]]

    def summary(self) -> str:
        """One line: the totals and, for each rule that reported, how often."""
        rules: dict[str, int] = {}
        for problem in self.problems:
            rules[problem["ruleId"]] = rules.get(problem["ruleId"], 0) + 1
        counts = ", ".join(f"{rule} x{count}" for rule, count in sorted(rules.items()))
        return f"{self.errors} errors, {self.warnings} warnings, {self.ignored} ignored" + (
            f" ({counts})" if counts else ""
        )


def redocly_lint(redocly: Path, document: Path) -> LintResult:
    """`redocly lint --extends recommended` on DOCUMENT, with the probes' 4xx exception only."""
    workdir = document.parent
    ignored = "".join(f"    - '{location}'\n" for location in PROBES_WITHOUT_4XX)
    (workdir / ".redocly.lint-ignore.yaml").write_text(
        f"{document.name}:\n  operation-4xx-response:\n{ignored}", encoding="utf-8"
    )
    cli = redocly / "node_modules" / "@redocly" / "cli" / "bin" / "cli.js"
    lint = [str(REAL_NODE), str(cli), "lint", "--extends", "recommended", "--format", "json"]
    completed = subprocess.run(
        [*lint, document.name],
        cwd=workdir,
        env=node_environment(REDOCLY_ENV),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    start = completed.stdout.find("{")
    if start < 0:
        msg = (
            f"redocly printed no report (exit {completed.returncode}):\n{completed.stderr[-3000:]}"
        )
        raise AssertionError(msg)
    report = json.loads(completed.stdout[start:])
    totals = report["totals"]
    problems = [
        {
            "ruleId": problem["ruleId"],
            "severity": problem["severity"],
            "where": [location.get("pointer") for location in problem.get("location", [])],
            "message": problem["message"],
        }
        for problem in report["problems"]
    ]
    return LintResult(totals["errors"], totals["warnings"], totals["ignored"], problems)
