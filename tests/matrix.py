"""Answer sets for the render matrix: a pairwise-covering set of the questionnaire's options.

Every value of every option appears with every value of every other option at least once, in
far fewer renders than the full product (tens instead of tens of thousands).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# The options that change what is rendered, with every value they can take.
OPTIONS: dict[str, list[Any]] = {
    "workload": ["io", "cpu", "mixed"],
    "database": ["postgres", "none"],
    "cache": ["redis", "none"],
    "queue": ["bullmq", "rabbitmq", "none"],
    "http_client": [True, False],
    "observability": [[], ["metrics"], ["tracing"], ["metrics", "tracing"]],
    "auth": ["none", "jwt"],
    "api_docs": [True, False],
    "ci": ["github", "gitlab", "none"],
    "deploy": [[], ["compose"], ["kubernetes"], ["compose", "kubernetes"]],
    "node_version": [24, 22],
    "license": ["MIT", "Apache-2.0", "UNLICENSED"],
}


def pairwise(options: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """A deterministic greedy pairwise-covering set of answer dictionaries."""
    names = list(options)
    uncovered = {
        (a, i, b, j)
        for a, b in itertools.combinations(names, 2)
        for i in range(len(options[a]))
        for j in range(len(options[b]))
    }
    rows: list[dict[str, int]] = []
    while uncovered:
        # Seed the row with the first uncovered pair, then fill the other options greedily.
        a, i, b, j = min(uncovered)
        row = {a: i, b: j}
        for name in names:
            if name in row:
                continue
            row[name] = max(range(len(options[name])), key=_gain(row, name, uncovered))
        rows.append(row)
        uncovered -= {(x, row[x], y, row[y]) for x, y in itertools.combinations(names, 2)}
    return [{name: options[name][index] for name, index in row.items()} for row in rows]


def _gain(
    row: dict[str, int], name: str, uncovered: set[tuple[str, int, str, int]]
) -> Callable[[int], int]:
    """How many uncovered pairs choosing value k for `name` would cover, given the row so far."""

    def gain(k: int) -> int:
        return sum(
            (other, row[other], name, k) in uncovered or (name, k, other, row[other]) in uncovered
            for other in row
        )

    return gain


def answer_id(answers: Mapping[str, Any]) -> str:
    """A readable test id: the non-default-looking values joined by '-'."""
    parts = []
    for name, value in answers.items():
        if isinstance(value, list):
            parts.append(f"{name}=" + "+".join(value) if value else f"no-{name}")
        elif isinstance(value, bool):
            parts.append(name if value else f"no-{name}")
        else:
            parts.append(f"{name}={value}")
    return ",".join(parts)


MATRIX = pairwise(OPTIONS)
