"""The template reads as code: Jinja stays out of the TypeScript, and no folder grows unwieldy."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.matrix import MATRIX, answer_id

TEMPLATE_SOURCE = Path(__file__).resolve().parent.parent / "template" / "src"
MAX_TAGS_PER_TYPESCRIPT_TEMPLATE = 20
MAX_FILES_PER_SOURCE_FOLDER = 10


def test_no_typescript_template_under_src_holds_more_than_twenty_jinja_tags() -> None:
    counts = {
        path.relative_to(TEMPLATE_SOURCE).as_posix(): path.read_text(encoding="utf-8").count("{%")
        for path in TEMPLATE_SOURCE.rglob("*")
        if path.is_file() and ".ts" in path.name
    }

    over = {
        path: count for path, count in counts.items() if count > MAX_TAGS_PER_TYPESCRIPT_TEMPLATE
    }
    assert over == {}


@pytest.mark.parametrize("answers", MATRIX, ids=[answer_id(a) for a in MATRIX])
def test_in_every_combination_no_source_folder_holds_more_than_ten_files(
    copie: Any, template_copy: Path, answers: dict[str, Any]
) -> None:
    result = copie.copy(extra_answers=answers, template_dir=template_copy)
    assert result.exit_code == 0, result.exception
    source = Path(result.project_dir) / "src"

    files_per_folder = Counter(
        path.parent.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file()
    )

    crowded = {
        folder: count
        for folder, count in files_per_folder.items()
        if count > MAX_FILES_PER_SOURCE_FOLDER
    }
    assert crowded == {}
