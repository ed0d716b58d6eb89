"""Format file contents with a generated project's own Prettier, before anything is written."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from scaffold.errors import ScaffoldError

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
