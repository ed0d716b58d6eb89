"""Prettier's layout without Prettier, and formatting with a generated project's own Prettier.

The resource templates render already formatted (`fit` lays out the groups whose length
depends on the resource's name); the project's Prettier, when installed, is only a safety net.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from scaffold.errors import ScaffoldError

# The generated projects' printWidth (.prettierrc.json).
PRINT_WIDTH = 100

# Resolves prettier from the project (its pinned version and .prettierrc), formats each file's
# text as if it were at its path, and answers path -> formatted text.
_FORMAT = """
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const require = createRequire(pathToFileURL(process.cwd() + '/package.json'));
const loaded = await import(pathToFileURL(require.resolve('prettier')).href);
const prettier = loaded.default ?? loaded;
let input = '';
for await (const chunk of process.stdin) input += chunk;
const formatted = {};
for (const [filepath, text] of Object.entries(JSON.parse(input))) {
  const info = await prettier.getFileInfo(filepath);
  if (info.ignored || info.inferredParser === null) { formatted[filepath] = text; continue; }
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  formatted[filepath] = await prettier.format(text, { ...options, filepath });
}
process.stdout.write(JSON.stringify(formatted));
"""


def format_files(project: Path, contents: Mapping[str, str]) -> dict[str, str] | None:
    """The contents formatted by the project's Prettier; None when it is not installed."""
    node = shutil.which("node")
    if node is None or not (project / "node_modules" / "prettier" / "package.json").is_file():
        return None
    by_path = {str(project / relative): text for relative, text in contents.items()}
    completed = subprocess.run(
        [node, "--input-type=module", "-e", _FORMAT],
        cwd=project,
        input=json.dumps(by_path),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        msg = f"Prettier could not format the new code, so nothing was written:\n{tail}"
        raise ScaffoldError(msg)
    formatted: dict[str, str] = json.loads(completed.stdout)
    return {relative: formatted[str(project / relative)] for relative in contents}


def fit(group: str) -> str:
    """One group (a bracketed list written one item a line) on one line when it fits.

    `group` is written as Prettier breaks it: an opening line ending with `{`, `(`, `[` or `<`,
    one item a line with a trailing comma, and a closing line. Prettier joins such a group
    when the joined line fits in the print width (`{ a, b }` with spaces inside braces,
    `(a, b)` without), so a template line whose length depends on a name is laid out the way
    Prettier lays it out for that name. Surrounding newlines are dropped: in a template,
    `{% filter fit %}` on the line before the group starts it, and the line break after
    `{% endfilter %}` on the line after it ends it.
    """
    lines = group.strip("\n").split("\n")
    opener, items, closer = lines[0], [line.strip() for line in lines[1:-1]], lines[-1].strip()
    if len(lines) < 3 or opener[-1:] not in "{([<" or not all(i.endswith(",") for i in items):
        msg = f"not a group written one item a line:\n{group}"
        raise ValueError(msg)
    pad = " " if opener.endswith("{") else ""
    joined = opener + pad + " ".join(items).removesuffix(",") + pad + closer
    return joined if len(joined) <= PRINT_WIDTH else "\n".join(lines)
