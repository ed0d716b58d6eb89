"""Hostile free-text answers: rejected with a message naming the question, or rendered safely.

Safe means: no template injection, package.json and every YAML/JSON file still parse and carry
the exact text, and the TypeScript string literals holding it decode back to it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.errors import ScaffoldError
from scaffold.render import render_project

# Each text starts with a marker, so every place it landed in can be found again.
NASTY: dict[str, dict[str, str]] = {
    "quotes, YAML and shell specials": {
        "project_name": 'Nq1 O\'Brien "Orders" \\ back\\slash: #x - &a *a !!python/object',
        "description": "Nq2 { {7*7} } ${HOME} $(id) `id` | > % @ ? [x] {y: 1} \\n \\u0000 '' \"\"",
        "author": 'Nq3 Ünïcödé 注文 🚀 e\u0301 \u202erlt\u202c <a@b.c> "quoted"',
    },
    "maximum lengths": {
        "project_name": ("Nq1 " + "'\"\\: #-" * 20)[:80],
        "description": ("Nq2 " + "é\"'\\{ }: #" * 30)[:200],
        "author": ("Nq3 " + "&*!|>\"'\\ " * 20)[:120],
    },
}

REJECTED = [
    ("project_name", "{{ 7*7 }}"),
    ("project_name", "Orders {% if true %}x{% endif %}"),
    ("project_name", "{# comment #}"),
    ("project_name", "two\nlines"),
    ("project_name", "x" * 81),
    ("project_name", "   "),
    ("description", "{{ 7*7 }}"),
    ("description", "tab\there"),
    ("description", "d" * 201),
    ("author", "{{7*7}}"),
    ("author", "nul\x00byte"),
    ("author", "a" * 121),
]

TS_STRING = re.compile(r"""^(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")$""")


def render(destination: Path, texts: dict[str, str]) -> Path:
    answers: dict[str, Any] = {
        **texts,
        "project_slug": "nasty-service",
        "license": "Apache-2.0",
        "database": "postgres",
        "observability": ["metrics"],
        "auth": "jwt",
        "deploy": ["compose", "kubernetes"],
    }
    return render_project(destination, answers=answers).destination


def scalars(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in scalars(key) + scalars(value)]
    if isinstance(node, list):
        return [s for item in node for s in scalars(item)]
    return [node] if isinstance(node, str) else []


def ts_literal_value(literal: str) -> str:
    """The value of a single- or double-quoted TypeScript string literal (no template literal)."""
    assert TS_STRING.match(literal), f"not one string literal: {literal}"
    body = literal[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


@pytest.fixture(scope="module", params=sorted(NASTY))
def nasty_render(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    texts = NASTY[request.param]
    return render(tmp_path_factory.mktemp("nasty") / "service", texts), texts


@pytest.mark.parametrize(("question", "text"), REJECTED)
def test_an_unsafe_answer_is_rejected_with_a_message_naming_the_question(
    tmp_path: Path, question: str, text: str
) -> None:
    texts = {"project_name": "Fine Name", question: text}

    with pytest.raises(ScaffoldError) as raised:
        render(tmp_path / "service", texts)

    assert f"'{question}'" in raised.value.message
    assert not (tmp_path / "service").exists()


def test_package_json_parses_and_carries_the_exact_texts(
    nasty_render: tuple[Path, dict[str, str]],
) -> None:
    project, texts = nasty_render

    package = json.loads((project / "package.json").read_text(encoding="utf-8"))

    assert package["description"] == texts["description"]
    assert package["author"] == texts["author"]


def test_every_yaml_and_json_file_parses_and_carries_the_exact_texts(
    nasty_render: tuple[Path, dict[str, str]],
) -> None:
    project, texts = nasty_render
    mangled = []
    checked = 0
    for path in sorted(project.rglob("*")):
        if path.suffix in {".yml", ".yaml"}:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        elif path.suffix == ".json":
            documents = [json.loads(path.read_text(encoding="utf-8"))]
        else:
            continue
        checked += 1
        for value in (s for document in documents for s in scalars(document)):
            for text in texts.values():
                if text[:3] in value and text not in value:
                    mangled.append((str(path.relative_to(project)), value))

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert checked >= 10
    assert mangled == []
    assert {key: answers[key] for key in texts} == texts


def test_typescript_string_literals_decode_to_the_exact_texts(
    nasty_render: tuple[Path, dict[str, str]],
) -> None:
    project, texts = nasty_render
    openapi = (project / "src" / "infra" / "openapi" / "openapi.ts").read_text(encoding="utf-8")

    title = re.search(r"^\s*title:\s+(.*),$", openapi, re.MULTILINE)
    description = re.search(r"^\s*description:\s+(.*),$", openapi, re.MULTILINE)

    assert title
    assert description
    assert ts_literal_value(title[1]) == texts["project_name"]
    assert ts_literal_value(description[1]) == texts["description"]


def test_no_template_expression_was_evaluated_or_left_behind(
    nasty_render: tuple[Path, dict[str, str]],
) -> None:
    project, texts = nasty_render
    leftovers = []
    for path in sorted(project.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if re.search(r"(?<!\$)\{\{|\{%|\{#", text):  # ${{ }} is GitHub Actions syntax
                leftovers.append(str(path.relative_to(project)))

    readme = (project / "README.md").read_text(encoding="utf-8")
    assert leftovers == []
    # `{ {7*7} }` is the closest to Jinja the validators let through: it stays literal text.
    if "{ {7*7} }" in texts["description"]:
        assert "{ {7*7} }" in readme
        assert "49" not in readme
