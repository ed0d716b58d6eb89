"""Copier's interactive questions, with error messages that fit on the line that shows them.

Copier asks through questionary, which shows a rejected answer's message on one terminal line
(text beyond the width is cut). Two of copier's messages do not fit or say nothing: a validator's
message comes prefixed with `Validation error for question '<name>': `, and an answer that is
not of the question's type (port `abc`) is only `Invalid input`. While scaffold asks, those become
the validator's own sentence (copier.yml keeps each under 80 characters) and a sentence naming
the expected type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from scaffold.questions import TYPE_RULES


@contextmanager
def readable_prompts() -> Iterator[None]:
    """Within the block, copier's questions report rejected answers in one readable line."""
    from copier import _user_data  # noqa: PLC0415 - copier is slow to import; --help needs none

    question_class: Any = _user_data.Question
    original: Callable[[Any], dict[str, Any]] = question_class.get_questionary_structure

    def structure(question: Any) -> dict[str, Any]:
        result = original(question)
        validate = result.get("validate")
        if callable(validate):
            result["validate"] = _readable(question, validate)
        return result

    question_class.get_questionary_structure = structure
    try:
        yield
    finally:
        question_class.get_questionary_structure = original


def rejection_message(*, name: str, type_name: str, answer: str, message: str) -> str:
    """The one line shown under a question when copier rejected `answer` with `message`."""
    prefix = f"Validation error for question '{name}': "
    if message.startswith(prefix):
        return message[len(prefix) :]
    if message == "Invalid input":
        shown = answer if len(answer) <= 20 else f"{answer[:19]}…"
        rule = TYPE_RULES.get(type_name, f"is not a valid {type_name}")
        return f"'{shown}' {rule}."
    return message


def _readable(question: Any, validate: Callable[[str], Any]) -> Callable[[str], Any]:
    def check(answer: str) -> Any:
        outcome = validate(answer)
        if outcome is True or not isinstance(outcome, str):
            return outcome
        return rejection_message(
            name=str(question.var_name),
            type_name=str(question.get_type_name()),
            answer=str(answer),
            message=outcome,
        )

    return check
