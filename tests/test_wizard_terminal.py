"""The wizard in a real 80x24 terminal (tmux): every help text whole, every answer on screen.

tmux runs `scaffold new` in a pseudo-terminal of exactly 80 columns and 24 rows; the test reads
the visible screen (`capture-pane`), answers each question, and at the `Write these N files …?`
prompt checks that every answer, lists included, is on that one screen.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from scaffold.questions import asked_questions, load_questions
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

COLUMNS, ROWS = 80, 24
QUESTIONS = asked_questions(load_questions(REPO_ROOT / "copier.yml"))
HELP = {
    name: str(spec["help"]).splitlines()
    for name, spec in yaml.safe_load((REPO_ROOT / "copier.yml").read_text()).items()
    if isinstance(spec, dict) and "help" in spec
}


@dataclass
class Terminal:
    socket: str
    session: str = "wizard"

    def tmux(self, *args: str) -> str:
        import subprocess

        completed = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return completed.stdout

    def screen(self) -> list[str]:
        return self.tmux("capture-pane", "-p", "-t", self.session).splitlines()

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def wait_for(self, text: str, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if any(text in line for line in screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen:\n" + "\n".join(self.screen()))


@pytest.fixture
def terminal(tmp_path: Path, template_copy: Path) -> Iterator[Terminal]:
    term = Terminal(socket=f"scaffold-test-{os.getpid()}-{tmp_path.name}")
    bin_dir = Path(sys.executable).parent
    command = (
        f"cd {shlex.quote(str(tmp_path))} && "
        f"SCAFFOLD_TEMPLATE={shlex.quote(str(template_copy))} "
        f"{shlex.quote(str(bin_dir / 'scaffold'))} new --no-install --no-git; "
        "echo EXIT=$?; sleep 60"
    )
    term.tmux(
        "-f", "/dev/null", "new-session", "-d", "-s", term.session,
        "-x", str(COLUMNS), "-y", str(ROWS), command,
    )  # fmt: skip
    try:
        yield term
    finally:
        term.tmux("kill-server")


def test_at_80x24_every_help_is_whole_and_every_answer_is_on_screen_at_the_prompt(
    terminal: Terminal, tmp_path: Path
) -> None:
    for question in QUESTIONS:
        help_lines = HELP[question.name]
        screen = terminal.wait_for(help_lines[0])
        for line in help_lines:
            assert any(line.rstrip() in shown for shown in screen), (
                f"{question.name}: help line cut or missing at {COLUMNS} columns: {line!r}\n"
                + "\n".join(screen)
            )
        if question.name == "http_port":
            terminal.send("C-u", "abc", "Enter")
            screen = terminal.wait_for("'abc' is not a whole number: type digits only.")
            terminal.send("C-u", "0", "Enter")
            terminal.wait_for("The HTTP port must be a whole number from 1 to 65535 (got 0).")
            terminal.send("C-u", "3000", "Enter")
        elif question.name == "project_slug":
            terminal.send("C-u", "Orders_API", "Enter")
            terminal.wait_for(
                "The slug takes only a-z, 0-9 and '-', starts with a letter, ends without '-'."
            )
            terminal.send("C-u", "orders-api", "Enter")
        else:
            terminal.send("Enter")

    screen = terminal.wait_for("Write these")

    assert len(screen) <= ROWS
    prompt = next(line for line in screen if "Write these" in line)
    assert "./orders-api? [Y/n]" in prompt
    answers = {
        "project_name": "My Service",
        "project_slug": "orders-api",
        "workload": "io",
        "http_port": "3000",
        "observability": "[metrics, tracing]",
        "deploy": "[compose, kubernetes]",
        "api_docs": "yes",
        "http_client": "no",
    }
    for question in QUESTIONS:
        rows = [line for line in screen if line.split()[:1] == [question.name]]
        assert rows, f"{question.name} is not on screen at the prompt:\n" + "\n".join(screen)
        if question.name in answers:
            assert answers[question.name] in rows[0], rows[0]
    terminal.send("n", "Enter")
    terminal.wait_for("EXIT=1")
    assert "Cancelled: nothing was written." in "\n".join(terminal.screen())
    assert list(tmp_path.iterdir()) == []
