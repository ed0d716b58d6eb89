"""What a `scaffold check` step found, in one line, read from the tool's own output.

npm's own chatter is never a result: `npm warn …` (this machine's `~/.npmrc` makes npm print
`npm warn Unknown user config "nodedir"` on every command), `npm notice …` and the `> name@1.0.0
lint` header of each script are dropped before anything is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_NOISE = re.compile(r"^(npm (warn|WARN|notice|NOTICE)\b|> \S+@\S+ |> )")


def meaningful_lines(output: str) -> list[str]:
    """The output's lines without colour codes, blank lines and npm's own notices."""
    lines = []
    for raw in _ANSI.sub("", output).splitlines():
        line = raw.rstrip()
        if line.strip() and not _NOISE.match(line.strip()):
            lines.append(line)
    return lines


def summarize(step: str, *, ok: bool, output: str) -> str:
    """One line saying what `step` found: `155 tests passed`, `0 problems`, `2 errors`."""
    lines = meaningful_lines(output)
    finder = _FINDERS.get(step)
    found = finder(lines, ok) if finder is not None else None
    if found:
        return found
    if lines:
        return _message(lines[-1])
    return "no output" if ok else "failed without output"


def _message(line: str) -> str:
    """A JSON log line's `msg`, or the line itself."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            entry = json.loads(stripped)
        except ValueError:
            return stripped
        if isinstance(entry, dict) and entry.get("msg"):
            return str(entry["msg"])
    return stripped


def _search(lines: Sequence[str], pattern: str) -> re.Match[str] | None:
    compiled = re.compile(pattern)
    for line in reversed(lines):
        if match := compiled.search(line):
            return match
    return None


def _install(lines: Sequence[str], _ok: bool) -> str | None:
    if match := _search(lines, r"added (\d+) packages?"):
        return f"{match.group(1)} packages installed"
    if _search(lines, r"up to date"):
        return "dependencies up to date"
    return None


def _lint(lines: Sequence[str], ok: bool) -> str | None:
    if match := _search(lines, r"✖ (\d+ problems? \(.*\))"):
        return match.group(1)
    return "0 problems" if ok else None


def _format(lines: Sequence[str], ok: bool) -> str | None:
    if match := _search(lines, r"Code style issues found in (.*)\. Run Prettier"):
        return f"code style issues in {match.group(1)}"
    if ok and _search(lines, r"All matched files use Prettier code style"):
        return "all files formatted"
    return None


def _typecheck(lines: Sequence[str], ok: bool) -> str | None:
    if match := _search(lines, r"Found (\d+ errors?)"):
        return match.group(1)
    if not ok and (match := _search(lines, r"error (TS\d+: .*)")):
        return match.group(1)
    return "0 errors" if ok and not lines else None


def _test(lines: Sequence[str], _ok: bool) -> str | None:
    match = _search(lines, r"^\s*Tests\s+(.*?)\s*\((\d+)\)\s*$")
    if match is None:
        return None
    parts = [part.strip() for part in match.group(1).split("|")]
    if len(parts) == 1 and parts[0].endswith(" passed"):
        return f"{parts[0].removesuffix(' passed')} tests passed"
    return f"{', '.join(parts)} of {match.group(2)} tests"


def _build(lines: Sequence[str], ok: bool) -> str | None:
    if match := _search(lines, r"Found (\d+ errors?)"):
        return match.group(1)
    return "compiled, 0 errors" if ok and not lines else None


_FINDERS: dict[str, Callable[[Sequence[str], bool], str | None]] = {
    "install": _install,
    "lint": _lint,
    "format": _format,
    "typecheck": _typecheck,
    "test": _test,
    "build": _build,
}
