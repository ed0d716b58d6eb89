"""Boot a built project and probe it: health, OpenAPI, metrics, and a drain under SIGTERM."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.errors import ProbeError

_METRIC_LINE = re.compile(
    r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( [0-9]+)?$"
)


@dataclass
class Server:
    """A running `node dist/server.js`."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    ready_after_ms: int = 0

    def output(self, lines: int = 30) -> str:
        """The last lines the server printed."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def real_node(env: Mapping[str, str]) -> str:
    """The node binary itself, even when `node` on PATH is a wrapper script (signals reach it)."""
    completed = subprocess.run(
        ["node", "-p", "process.execPath"],
        env=dict(env),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return completed.stdout.strip()


def read_env_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines of a dotenv file (quotes around a value removed); {} if it is missing."""
    values: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip().removeprefix("export ")
            if stripped and not stripped.startswith("#") and "=" in stripped:
                key, _, value = stripped.partition("=")
                values[key.strip()] = value.strip().strip("\"'")
    return values


def service_environment(
    defaults: Mapping[str, str], overrides: Mapping[str, str]
) -> dict[str, str]:
    """The environment, with `defaults` for the names it does not set, then `overrides`."""
    environment = {**defaults, **os.environ}
    environment.update(overrides)
    return environment


def free_port() -> int:
    """A TCP port free on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def start_server(project: Path, env: Mapping[str, str], *, timeout: float = 30) -> Iterator[Server]:
    """Start the built server and wait for /health/live; kill it if the caller did not stop it."""
    port = int(env["PORT"])
    log = project / f".scaffold-check-{port}.log"
    with log.open("wb") as output:
        started = time.monotonic()
        process = subprocess.Popen(
            [real_node(env), "dist/server.js"],
            cwd=project,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        server = Server(process=process, port=port, log=log)
        try:
            _wait_live(server, started, timeout)
            yield server
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            log.unlink(missing_ok=True)


def _wait_live(server: Server, started: float, timeout: float) -> None:
    deadline = started + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            msg = f"the server exited with code {server.process.returncode} before it was live"
            raise ProbeError(f"{msg}:\n{server.output()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if get(server.port, "/health/live", timeout=1)[0] == 200:
                server.ready_after_ms = round((time.monotonic() - started) * 1000)
                return
        time.sleep(0.05)
    msg = f"/health/live did not answer 200 within {timeout:.0f} s"
    raise ProbeError(f"{msg}:\n{server.output()}")


def get(port: int, path: str, *, timeout: float = 5) -> tuple[int, bytes]:
    """GET a path on loopback: (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def probe_endpoints(server: Server, *, ready_timeout: float = 20) -> list[str]:
    """Check health, readiness, the OpenAPI document and /metrics; return what was verified.

    Readiness may take a moment after liveness (connections to brokers are made in the
    background), so it is polled until it answers 200 or the timeout passes.
    """
    status, body = get(server.port, "/health/live")
    if status != 200:
        msg = f"GET /health/live answered {status}: {body[:500].decode(errors='replace')}"
        raise ProbeError(msg)
    verified = ["/health/live 200"]
    started = time.monotonic()
    while True:
        status, body = get(server.port, "/health/ready")
        if status == 200:
            break
        if time.monotonic() - started > ready_timeout:
            msg = f"GET /health/ready answered {status}: {body[:500].decode(errors='replace')}"
            raise ProbeError(msg)
        time.sleep(0.2)
    verified.append(f"/health/ready 200 after {time.monotonic() - started:.1f} s")
    status, body = get(server.port, "/openapi.json")
    document = _json(body) if status == 200 else None
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        msg = f"GET /openapi.json answered {status} without an OpenAPI 3 document"
        raise ProbeError(msg)
    verified.append(f"OpenAPI {document['openapi']}, {len(document.get('paths', {}))} paths")
    status, body = get(server.port, "/metrics")
    if status == 200:
        bad = [
            line
            for line in body.decode(errors="replace").splitlines()
            if line and not line.startswith("#") and not _METRIC_LINE.match(line)
        ]
        if bad:
            msg = f"/metrics is not Prometheus text format, e.g. {bad[0]!r}"
            raise ProbeError(msg)
        verified.append("/metrics parses")
    return verified


def drain_under_load(server: Server, *, in_flight: int = 50, deadline_s: float = 30) -> str:
    """SIGTERM while requests are in flight: each must get an answer below 500, exit code 0.

    The requests are POSTs whose bodies are half sent when the signal arrives, so the server
    has accepted them and must finish them while it drains.
    """
    path = _first_post_path(server.port)
    body = b'{"drain-check": true, "padding": "' + b"x" * 64 + b'"}'
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    connections = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(in_flight)]
    for connection in connections:
        connection.sendall(head + body[:8])
    time.sleep(0.3)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    for connection in connections:
        connection.sendall(body[8:])
    statuses = [_status_of(connection) for connection in connections]
    try:
        code = server.process.wait(timeout=deadline_s)
    except subprocess.TimeoutExpired as error:
        msg = f"the server did not exit within {deadline_s:.0f} s of SIGTERM"
        raise ProbeError(f"{msg}:\n{server.output()}") from error
    failed = [status for status in statuses if not 0 < status < 500]
    if failed:
        msg = f"{len(failed)} of {in_flight} in-flight requests failed during the drain"
        raise ProbeError(f"{msg} (statuses {sorted(set(failed))}):\n{server.output()}")
    if code != 0:
        msg = f"the server exited with code {code} after SIGTERM"
        raise ProbeError(f"{msg}:\n{server.output()}")
    return (
        f"{in_flight} in-flight requests answered, exit 0 after {time.monotonic() - started:.2f} s"
    )


def _first_post_path(port: int) -> str:
    status, body = get(port, "/openapi.json")
    document = _json(body) if status == 200 else None
    paths = document.get("paths", {}) if isinstance(document, dict) else {}
    for path, operations in paths.items():
        if isinstance(operations, dict) and "post" in operations and "{" not in path:
            return str(path)
    msg = "no POST route without path parameters in /openapi.json to keep in flight"
    raise ProbeError(msg)


def _status_of(connection: socket.socket) -> int:
    connection.settimeout(20)
    data = b""
    with contextlib.suppress(OSError):
        while b"\r\n" not in data:
            chunk = connection.recv(4096)
            if not chunk:
                break
            data += chunk
    connection.close()
    parts = data.split(b" ", 2)
    return int(parts[1]) if data.startswith(b"HTTP/") and len(parts) > 1 else 0


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
