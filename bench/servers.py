"""Start a benchmark target on loopback, wait for its first 200, read its RSS, stop it."""

from __future__ import annotations

import contextlib
import http.client
import json
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bench.node_env import free_port, node_environment
from bench.targets import BuiltTarget

READY_TIMEOUT_SECONDS = 30.0
READY_POLL_SECONDS = 0.005


class BootError(RuntimeError):
    """The target exited or did not answer 200 in time."""


@dataclass(frozen=True)
class HttpAnswer:
    """Status and body of one HTTP request."""

    status: int
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def http_request(
    port: int,
    method: str,
    path: str,
    *,
    body: object = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> HttpAnswer:
    """One HTTP/1.1 request to 127.0.0.1:port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["content-type"] = "application/json"
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        return HttpAnswer(status=response.status, body=response.read())
    finally:
        connection.close()


@dataclass
class RunningTarget:
    """A started target: its process, port, and how long it took to answer its first 200."""

    target: BuiltTarget
    process: subprocess.Popen[bytes]
    port: int
    seconds_to_first_200: float = 0.0

    def rss_mib(self) -> float:
        """Resident set size of the server process, in MiB."""
        return self._status_mib("VmRSS")

    def file_backed_rss_mib(self) -> float:
        """The part of the resident set that maps files (node's own binary, mostly), in MiB."""
        return self._status_mib("RssFile")

    def _status_mib(self, field_name: str) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        line = next(line for line in status.splitlines() if line.startswith(f"{field_name}:"))
        return int(line.split()[1]) / 1024

    def terminate(self, timeout: float = 15.0) -> None:
        """SIGTERM and wait (SIGKILL, the default stop, skips the process's exit work)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)


def _spawn(
    target: BuiltTarget,
    port: int,
    extra_env: Mapping[str, str],
    output: IO[bytes] | int,
    wrapper: Sequence[str],
) -> subprocess.Popen[bytes]:
    env = {
        **target.env,
        "NODE_ENV": "production",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        **extra_env,
    }
    return subprocess.Popen(
        [*wrapper, *target.command],
        cwd=target.directory,
        env=node_environment(env),
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def _wait_for_first_200(
    running: RunningTarget, started: float, log: Path | None, timeout: float
) -> None:
    deadline = started + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            msg = f"{running.target.name} exited with {running.process.returncode} while booting"
            raise BootError(_with_log(msg, log))
        with contextlib.suppress(OSError, http.client.HTTPException):
            answer = http_request(running.port, "GET", running.target.ready_path, timeout=1.0)
            if answer.status == 200:
                running.seconds_to_first_200 = time.monotonic() - started
                return
        time.sleep(READY_POLL_SECONDS)
    msg = f"{running.target.name} did not answer 200 on {running.target.ready_path} in time"
    raise BootError(_with_log(msg, log))


def _with_log(message: str, log: Path | None) -> str:
    if log is None or not log.is_file():
        return message
    tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:])
    return f"{message}:\n{tail}"


@contextlib.contextmanager
def running_target(
    target: BuiltTarget,
    *,
    extra_env: Mapping[str, str] | None = None,
    log: Path | None = None,
    wrapper: Sequence[str] = (),
    ready_timeout: float = READY_TIMEOUT_SECONDS,
) -> Iterator[RunningTarget]:
    """Start the target (output to /dev/null unless `log` is given); kill it on exit.

    `wrapper` is a command the target's command is appended to (a profiler, e.g. valgrind).
    """
    port = free_port()
    with contextlib.ExitStack() as stack:
        output: IO[bytes] | int = subprocess.DEVNULL
        if log is not None:
            output = stack.enter_context(log.open("wb"))
        started = time.monotonic()
        process = _spawn(target, port, extra_env or {}, output, wrapper)
        running = RunningTarget(target=target, process=process, port=port)
        try:
            _wait_for_first_200(running, started, log, ready_timeout)
            yield running
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
