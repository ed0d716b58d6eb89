"""Precise insertions into generated TypeScript files, refusing to guess.

`scaffold add resource` adds lines to a file the project owns (its resource registry). Each
insertion goes at a place found by matching the code scaffold generated; when a place is gone
(the user rewrote that part), the whole file is reported as not recognised and nothing is
changed, so the caller can print the lines to add by hand. The lines come out as Prettier
writes them, so the result passes `format:check` without Prettier installed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scaffold.errors import AnchorMissingError
from scaffold.prettier import PRINT_WIDTH

_IMPORT_FROM = re.compile(r"""from\s+'([^']+)';\s*$""")
_NAME = re.compile(r"^[A-Za-z_$][\w$]*$")


@dataclass(frozen=True)
class Insertion:
    """Lines to add, where they go (for people), and how to place them (for the program)."""

    where: str
    text: str
    place: Callable[[str, str], str]


@dataclass(frozen=True)
class FileEdit:
    """Every insertion one file needs, plus code the inserted lines rely on."""

    path: str
    insertions: Sequence[Insertion]
    requires: Sequence[tuple[str, str]] = field(default_factory=tuple)

    def apply(self, source: str) -> str:
        """The edited text; AnchorMissingError names the first thing not found."""
        for pattern, description in self.requires:
            if not re.search(pattern, source, flags=re.MULTILINE):
                raise AnchorMissingError(description)
        for insertion in self.insertions:
            source = insertion.place(source, insertion.text)
        return source

    def by_hand(self) -> str:
        """The insertions as instructions for a person."""
        parts = [f"In {self.path}:"]
        for insertion in self.insertions:
            parts.append(f"  {insertion.where}:")
            parts.extend(f"    {line}" if line else "" for line in insertion.text.splitlines())
        return "\n".join(parts)


def among_imports(source: str, statements: str) -> str:
    """Add import statements among the relative imports, each before the first that sorts after it.

    Keeps an alphabetical import block alphabetical, and never moves an existing line.
    """
    for statement in sorted(statements.splitlines(), key=_specifier):
        lines = source.splitlines(keepends=True)
        relative = [
            (start, end, spec)
            for start, end, spec in _import_statements(lines)
            if spec.startswith(("./", "../"))
        ]
        if not relative:
            msg = "the block of relative imports ('./…') at the top of the file"
            raise AnchorMissingError(msg)
        later = [start for start, _end, spec in relative if spec > _specifier(statement)]
        index = later[0] if later else relative[-1][1] + 1
        lines.insert(index, statement + "\n")
        source = "".join(lines)
    return source


def into_list(opener: str) -> Callable[[str, str], str]:
    """Append a name to the array of names that the one line starting with `opener` begins.

    The statement is written back as Prettier prints it: on one line when it fits, else one
    name a line with a trailing comma.
    """

    def place(source: str, text: str) -> str:
        lines = source.splitlines(keepends=True)
        starts = [index for index, line in enumerate(lines) if line.startswith(opener)]
        if len(starts) != 1:
            raise AnchorMissingError(f"exactly one line `{opener}…`")
        start = starts[0]
        end = next(
            (index for index in range(start, len(lines)) if lines[index].rstrip().endswith("];")),
            None,
        )
        if end is None:
            raise AnchorMissingError(f"a `];` closing `{opener}…`")
        inside = "".join(lines[start : end + 1]).strip()[len(opener) : -len("];")]
        names = [name.strip() for name in inside.split(",") if name.strip()]
        if not all(_NAME.fullmatch(name) for name in names):
            raise AnchorMissingError(f"a list of plain names after `{opener}`")
        names.append(text.strip())
        flat = f"{opener}{', '.join(names)}];\n"
        if len(flat) - 1 <= PRINT_WIDTH:
            statement = flat
        else:
            statement = opener + "\n" + "".join(f"  {name},\n" for name in names) + "];\n"
        return "".join([*lines[:start], statement, *lines[end + 1 :]])

    return place


def _import_statements(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first line, last line, module) of each import statement at the top of the file."""
    statements = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("import "):
            start = index
            while not _IMPORT_FROM.search(lines[index]) and index + 1 < len(lines):
                if lines[index].rstrip().endswith(";"):
                    break  # a side-effect import (`import './x.js';`)
                index += 1
            match = _IMPORT_FROM.search(lines[index])
            if match:
                statements.append((start, index, match.group(1)))
        elif line.strip() and not line.lstrip().startswith(("//", "/*", "*")):
            break
        index += 1
    return statements


def _specifier(statement: str) -> str:
    match = _IMPORT_FROM.search(statement)
    if match is None:
        msg = f"not an import statement: {statement}"
        raise ValueError(msg)
    return match.group(1)
