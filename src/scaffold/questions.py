"""The questionnaire as data: read from copier.yml, the single source of truth."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffold.errors import AnswersFileError, InvalidAnswerError, UnknownQuestionError


@dataclass(frozen=True)
class Question:
    """One question of copier.yml."""

    name: str
    type: str
    help: str
    default: Any
    choices: Mapping[str, Any] = field(default_factory=dict)
    multiselect: bool = False
    asked: bool = True
    has_validator: bool = False


def load_questions(copier_yml: Path) -> list[Question]:
    """Return the questions of a copier.yml in file order (settings starting with `_` skipped)."""
    raw = yaml.safe_load(copier_yml.read_text(encoding="utf-8"))
    questions = []
    for name, spec in raw.items():
        if name.startswith("_") or not isinstance(spec, dict):
            continue
        choices = spec.get("choices") or {}
        if isinstance(choices, list):
            choices = {str(choice): choice for choice in choices}
        questions.append(
            Question(
                name=name,
                type=str(spec.get("type", "str")),
                help=" ".join(str(spec.get("help", "")).split()),
                default=spec.get("default"),
                choices=choices,
                multiselect=bool(spec.get("multiselect", False)),
                asked=spec.get("when", True) is not False and spec.get("ask", True) is not False,
                has_validator="validator" in spec,
            )
        )
    return questions


def asked_questions(questions: Iterable[Question]) -> list[Question]:
    """The questions a user answers (derived values are excluded)."""
    return [question for question in questions if question.asked]


def parse_data_pairs(pairs: Iterable[str], questions: Iterable[Question]) -> dict[str, Any]:
    """Parse `KEY=VALUE` strings like copier's `-d`.

    Text questions keep VALUE as typed; the others read it as YAML (`deploy=[compose]`,
    `http_port=8080`, `api_docs=false`).
    """
    text_questions = {q.name for q in questions if q.type == "str" and not q.multiselect}
    answers: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            msg = f"--data expects KEY=VALUE, got {pair!r} (for example --data database=postgres)"
            raise UnknownQuestionError(msg)
        if key in text_questions:
            answers[key] = value
            continue
        try:
            answers[key] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError as error:
            msg = f"--data {key}: the value {value!r} is not valid YAML ({_first_line(error)})"
            raise UnknownQuestionError(msg) from error
    return answers


def load_answers_file(path: Path) -> dict[str, Any]:
    """Read a YAML answers file; keys starting with `_` (copier metadata) are ignored."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        msg = f"Answers file {path} does not exist."
        raise AnswersFileError(msg) from error
    except (OSError, UnicodeDecodeError) as error:
        msg = f"Answers file {path} cannot be read: {error}"
        raise AnswersFileError(msg) from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        msg = f"Answers file {path} is not valid YAML: {_first_line(error)}"
        raise AnswersFileError(msg) from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        msg = f"Answers file {path} must be a YAML mapping of question: answer."
        raise AnswersFileError(msg)
    return {str(key): value for key, value in data.items() if not str(key).startswith("_")}


class CheckedAnswers(dict[str, Any]):
    """Answers `check_answers` accepted: commands check them once, where they were read."""


def check_answers(
    answers: Mapping[str, Any], questions: Iterable[Question], *, origin: str
) -> CheckedAnswers:
    """The one check of answers before copier sees them: settable questions, values of their type.

    `origin` (a preset, an answers file, `--data`) is named when a question is unknown.
    """
    questions = list(questions)
    check_known(answers, questions, origin=origin)
    check_types(answers, questions)
    return CheckedAnswers(answers)


def checked(answers: Mapping[str, Any], copier_yml: Path) -> CheckedAnswers:
    """`answers` as they are when already checked, else checked against `copier_yml`."""
    if isinstance(answers, CheckedAnswers):
        return answers
    return check_answers(answers, load_questions(copier_yml), origin="the answers")


def check_known(answers: Mapping[str, Any], questions: Iterable[Question], *, origin: str) -> None:
    """Refuse answers to questions that do not exist (or are derived and cannot be set)."""
    by_name = {question.name: question for question in questions}
    askable = [name for name, question in by_name.items() if question.asked]
    for key in answers:
        question = by_name.get(key)
        if question is None:
            hint = difflib.get_close_matches(key, askable, n=1)
            suggestion = f" Did you mean '{hint[0]}'?" if hint else ""
            msg = (
                f"Unknown question '{key}' in {origin}.{suggestion} "
                f"Known questions: {', '.join(askable)}."
            )
            raise UnknownQuestionError(msg)
        if not question.asked:
            msg = f"'{key}' in {origin} is derived from other answers and cannot be set."
            raise UnknownQuestionError(msg)


TYPE_RULES = {
    "int": "is not a whole number: type digits only",
    "float": "is not a number: type digits, optionally with a decimal point",
    "json": "is not valid JSON",
    "yaml": "is not valid YAML",
}


def type_mismatch(question: Question, answer: object) -> str | None:
    """Why `answer` cannot be read as the question's number type (the rule it broke), or None."""
    if question.type not in ("int", "float") or question.multiselect:
        return None
    if isinstance(answer, int) and not isinstance(answer, bool):
        return None
    if question.type == "float" and isinstance(answer, float):
        return None
    if not isinstance(answer, bool):
        try:
            (int if question.type == "int" else float)(str(answer).strip())
        except ValueError:
            pass
        else:
            return None
    text = str(answer)
    shown = text if len(text) <= 20 else f"{text[:19]}…"
    return f"'{shown}' {TYPE_RULES[question.type]}."


def check_types(answers: Mapping[str, Any], questions: Iterable[Question]) -> None:
    """Refuse answers that are not of their question's type, naming the question and the rule."""
    by_name = {question.name: question for question in questions}
    for key, value in answers.items():
        question = by_name.get(key)
        problem = type_mismatch(question, value) if question is not None else None
        if problem:
            msg = f"Invalid answer for '{key}': {problem}"
            raise InvalidAnswerError(msg)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
