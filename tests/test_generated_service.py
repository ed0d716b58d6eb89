"""Generated services work: install, lint, format, typecheck, test, build, boot, probe, drain.

One class per answer set, so pytest-xdist (`--dist loadscope`) runs each project on one worker
and installs it once. All of this is `slow`; `.ci/run` runs it on every change.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scaffold.check import check_project, select_steps
from scaffold.presets import load_preset
from scaffold.probes import free_port
from scaffold.render import render_project
from tests.conftest import REPO_ROOT
from tests.generated import (
    backing_services,
    jwt_credentials,
    record_figure,
    request,
    run,
    running_service,
    service_environment,
    wait_for_log_line,
)

pytestmark = pytest.mark.slow

ORDER = {"customerId": "customer-42", "items": [{"sku": "SKU-1", "quantity": 2}]}


class GeneratedProject:
    """A project rendered and installed once per class; subclasses choose the answers."""

    answers: ClassVar[dict[str, Any]]
    label: ClassVar[str]

    @pytest.fixture(scope="class")
    @classmethod
    def project(cls, tmp_path_factory: pytest.TempPathFactory) -> Path:
        destination = tmp_path_factory.mktemp(cls.label) / "service"
        answers = {"project_name": f"Orders {cls.label}", **cls.answers}
        render_project(destination, answers=answers)
        started = time.monotonic()
        run(destination, "npm", "install", "--no-audit", "--no-fund")
        record_figure(f"{cls.label}: npm install (s)", round(time.monotonic() - started, 1))
        return destination

    @pytest.fixture(scope="class")
    @classmethod
    def servers(cls) -> dict[str, str]:
        """URLs of the real servers this answer set needs (a fresh database per project)."""
        return backing_services(cls.answers, name=cls.label)

    @pytest.fixture(scope="class")
    @classmethod
    def built(cls, project: Path, servers: dict[str, str]) -> Path:
        started = time.monotonic()
        run(project, "npm", "run", "build")
        record_figure(f"{cls.label}: npm run build (s)", round(time.monotonic() - started, 1))
        if "DATABASE_URL" in servers:
            run(project, "npm", "run", "migrate", env=servers)
        return project

    @pytest.fixture(scope="class")
    @classmethod
    def auth(cls, project: Path) -> dict[str, str]:
        """Env and headers that let requests through (a real key pair and token when jwt)."""
        if cls.answers.get("auth") != "jwt":
            return {}
        return jwt_credentials(project)

    def service_env(
        self, project: Path, auth: dict[str, str], servers: dict[str, str]
    ) -> dict[str, str]:
        env = service_environment(project, servers, auth)
        env["SHUTDOWN_TIMEOUT_MS"] = "10000"
        return env

    @staticmethod
    def headers(auth: dict[str, str]) -> dict[str, str]:
        return {key: value for key, value in auth.items() if not key.isupper()}

    def test_scaffold_check_passes_every_step(self, built: Path, servers: dict[str, str]) -> None:
        started = time.monotonic()
        report = check_project(built, steps=select_steps(skip=["install"]), env=servers)
        record_figure(f"{self.label}: scaffold check (s)", round(time.monotonic() - started, 1))

        failed = {step.name: step.detail for step in report.steps if step.status == "failed"}
        skipped = [step.name for step in report.steps if step.status == "skipped"]
        tests = re.sub(
            r"\x1b\[[0-9;]*m", "", next(s.detail for s in report.steps if s.name == "test")
        )
        summary = [line for line in tests.splitlines() if line.strip().startswith("Tests")]
        record_figure(f"{self.label}: vitest", " ".join(summary[-1].split()) if summary else "?")
        must_run = {"lint", "format", "typecheck", "test", "build", "boot", "drain"}
        if "DATABASE_URL" in servers:
            must_run.add("migrate")
        assert failed == {}
        assert not must_run & set(skipped)

    def test_the_projects_integration_tests_pass_against_real_servers(
        self, project: Path, servers: dict[str, str]
    ) -> None:
        if not servers:
            pytest.skip("no server to integrate with: the project has no integration tests")
        started = time.monotonic()
        completed = run(project, "npm", "run", "test:integration", env=servers)
        record_figure(
            f"{self.label}: npm run test:integration (s)", round(time.monotonic() - started, 1)
        )
        assert " passed" in completed.stdout

    def test_the_build_produces_the_entrypoint(self, built: Path) -> None:
        assert (built / "dist" / "server.js").is_file()

    def test_a_running_service_is_live_ready_and_serves_orders(
        self, built: Path, auth: dict[str, str], servers: dict[str, str]
    ) -> None:
        env = self.service_env(built, auth, servers)
        with running_service(built, env) as service:
            record_figure(
                f"{self.label}: cold start to ready (ms)", round(service.ready_after * 1000)
            )
            time.sleep(0.5)
            record_figure(f"{self.label}: idle RSS (MiB)", round(service.rss_kib() / 1024, 1))

            live = request(service.port, "GET", "/health/live")
            ready = request(service.port, "GET", "/health/ready")
            created = request(
                service.port,
                "POST",
                "/orders",
                body=ORDER,
                headers={**self.headers(auth), "x-request-id": "req-abc-123"},
            )
            order = created.json()
            fetched = request(
                service.port, "GET", f"/orders/{order['id']}", headers=self.headers(auth)
            )
            openapi = request(service.port, "GET", "/openapi.json")
            logged = wait_for_log_line(service, lambda line: line.get("requestId") == "req-abc-123")

        assert live.status == 200
        assert ready.status == 200, ready.body
        assert created.status == 201, created.body
        assert created.headers["x-request-id"] == "req-abc-123"
        assert order["customerId"] == ORDER["customerId"]
        assert fetched.status == 200
        assert fetched.json() == order
        assert openapi.status == 200
        assert openapi.json()["openapi"].startswith("3.1")
        assert "/orders" in openapi.json()["paths"]
        assert logged["msg"] == "request completed"

    def test_metrics_parse_as_prometheus_text_with_route_templates(
        self, built: Path, auth: dict[str, str], servers: dict[str, str]
    ) -> None:
        if "metrics" not in self.answers.get("observability", []):
            pytest.skip("metrics not chosen for this answer set")
        env = self.service_env(built, auth, servers)
        with running_service(built, env) as service:
            created = request(
                service.port, "POST", "/orders", body=ORDER, headers=self.headers(auth)
            ).json()
            request(service.port, "GET", f"/orders/{created['id']}", headers=self.headers(auth))
            scraped = request(service.port, "GET", "/metrics")

        families = {
            family.name: family for family in text_string_to_metric_families(scraped.body.decode())
        }
        durations = families["http_request_duration_seconds"]
        routes = {sample.labels.get("route") for sample in durations.samples}
        assert "/orders/:id" in routes
        assert not any(created["id"] in (route or "") for route in routes)
        assert "orders_created" in families or "orders_created_total" in families

    def test_alert_rules_reference_only_metrics_a_live_scrape_exports(
        self, built: Path, auth: dict[str, str], servers: dict[str, str]
    ) -> None:
        rules_file = built / "deploy" / "observability" / "alerts.yaml"
        if not rules_file.is_file():
            pytest.skip("no alert rules for this answer set")
        env = self.service_env(built, auth, servers)
        exported = set()
        with running_service(built, env) as service:
            request(service.port, "POST", "/orders", body=ORDER, headers=self.headers(auth))
            exported |= _sample_names(request(service.port, "GET", "/metrics").body)
        if (built / "dist" / "worker.js").is_file():
            worker_env = {**env, "WORKER_PORT": str(free_port())}
            with running_service(
                built, worker_env, entry="dist/worker.js", port_variable="WORKER_PORT"
            ) as worker:
                exported |= _sample_names(request(worker.port, "GET", "/metrics").body)

        referenced, recorded = _metrics_in_rules(rules_file)
        unknown = sorted(referenced - recorded - exported - {"up"})
        record_figure(f"{self.label}: metrics referenced by alert rules", len(referenced))
        assert unknown == [], f"alert rules use metrics nobody exports: {unknown}"

    def test_sigterm_finishes_in_flight_requests_and_exits_zero(
        self, built: Path, auth: dict[str, str], servers: dict[str, str]
    ) -> None:
        env = self.service_env(built, auth, servers)
        # 50 requests arrive in one turn of the event loop; on a loaded machine reading them can
        # take longer than admission control's budget per turn (20 ms), which would refuse some
        # with 503 before SIGTERM. The drain is under test here, not admission: lift the budget.
        env["OVERLOAD_MAX_EVENT_LOOP_DELAY_MS"] = "2000"
        body = json.dumps(ORDER).encode()
        extra = "".join(f"{key}: {value}\r\n" for key, value in self.headers(auth).items())
        head = (
            "POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"{extra}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        with running_service(built, env) as service:
            # 50 requests whose bodies are half sent: in flight when SIGTERM arrives.
            sockets = [socket.create_connection(("127.0.0.1", service.port)) for _ in range(50)]
            for connection in sockets:
                connection.sendall(head + body[:10])
            time.sleep(0.5)
            started = time.monotonic()
            service.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            for connection in sockets:
                connection.sendall(body[10:])
            statuses = [_read_status(connection) for connection in sockets]
            exit_code = service.process.wait(timeout=20)
            drained_in = time.monotonic() - started

        record_figure(
            f"{self.label}: SIGTERM with 50 in flight",
            f"{statuses.count(201)}/50 answered 201, exit {exit_code}, {drained_in:.2f} s",
        )
        assert statuses == [201] * 50, service.output()[-3000:]
        assert exit_code == 0, service.output()[-3000:]

    def test_invalid_configuration_stops_the_service_listing_every_problem(
        self, built: Path, auth: dict[str, str], servers: dict[str, str]
    ) -> None:
        env = self.service_env(built, auth, servers)
        env.update({"PORT": "not-a-port", "LOG_LEVEL": "loud"})

        completed = run_expect_failure(built, env)

        assert completed["code"] != 0
        assert "PORT" in completed["output"]
        assert "LOG_LEVEL" in completed["output"]
        assert "    at " not in completed["output"], "a stack trace was printed"


def _read_status(connection: socket.socket) -> int:
    connection.settimeout(15)
    data = b""
    while b"\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    connection.close()
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1") else 0


def run_expect_failure(project: Path, env: dict[str, str]) -> dict[str, Any]:
    import subprocess

    from tests.generated import REAL_NODE, node_environment

    completed = subprocess.run(
        [str(REAL_NODE), "dist/server.js"],
        cwd=project,
        env=node_environment(env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return {"code": completed.returncode, "output": completed.stdout + completed.stderr}


def preset_answers(name: str) -> dict[str, Any]:
    return dict(load_preset(REPO_ROOT / "examples" / "presets", name).answers)


class TestMinimalPreset(GeneratedProject):
    label = "minimal"
    answers: ClassVar[dict[str, Any]] = preset_answers("minimal")


class TestApiPreset(GeneratedProject):
    label = "api"
    answers: ClassVar[dict[str, Any]] = preset_answers("api")

    def test_a_created_order_is_confirmed_by_the_worker_with_the_same_request_id(
        self, built: Path, auth: dict[str, str], servers: dict[str, str]
    ) -> None:
        env = self.service_env(built, auth, servers)
        worker_env = {**env, "WORKER_PORT": str(free_port())}
        with (
            running_service(built, env) as api,
            running_service(
                built, worker_env, entry="dist/worker.js", port_variable="WORKER_PORT"
            ) as worker,
        ):
            created = request(
                api.port,
                "POST",
                "/orders",
                body=ORDER,
                headers={**self.headers(auth), "x-request-id": "req-worker-42"},
            )
            order_id = created.json()["id"]
            deadline = time.monotonic() + 15
            confirmed: list[dict[str, Any]] = []
            while not confirmed and time.monotonic() < deadline:
                time.sleep(0.2)
                confirmed = [
                    line
                    for line in json_lines(worker.output())
                    if line.get("requestId") == "req-worker-42" and order_id in json.dumps(line)
                ]
            worker_ready = request(worker.port, "GET", "/health/ready")
            exit_code = worker.stop()

        assert created.status == 201
        assert confirmed, worker.output()[-3000:]
        assert worker_ready.status == 200
        assert exit_code == 0


_PROMQL_WORDS = {
    "abs",
    "absent",
    "absent_over_time",
    "and",
    "avg",
    "avg_over_time",
    "bool",
    "bottomk",
    "by",
    "ceil",
    "changes",
    "clamp_max",
    "clamp_min",
    "count",
    "count_over_time",
    "delta",
    "deriv",
    "floor",
    "group_left",
    "group_right",
    "histogram_quantile",
    "ignoring",
    "increase",
    "irate",
    "label_replace",
    "max",
    "max_over_time",
    "min",
    "min_over_time",
    "offset",
    "on",
    "or",
    "quantile",
    "quantile_over_time",
    "rate",
    "resets",
    "round",
    "scalar",
    "sort",
    "stddev",
    "sum",
    "sum_over_time",
    "time",
    "topk",
    "unless",
    "vector",
    "without",
}


def _sample_names(body: bytes) -> set[str]:
    return {
        sample.name
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def _metrics_in_rules(rules_file: Path) -> tuple[set[str], set[str]]:
    """(metric names the expressions read, names the file records itself)."""
    import yaml

    rules = [
        rule
        for group in yaml.safe_load(rules_file.read_text())["groups"]
        for rule in group["rules"]
    ]
    recorded = {rule["record"] for rule in rules if "record" in rule}
    referenced = set()
    for rule in rules:
        expression = re.sub(r"\{[^}]*\}", "", str(rule["expr"]))  # label matchers
        expression = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expression)
        expression = re.sub(r"\[[^\]]*\]", "", expression)  # range selectors
        expression = re.sub(r'"[^"]*"', "", expression)
        for token in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expression):
            if token not in _PROMQL_WORDS and not re.fullmatch(r"[0-9]*[smhdwy]", token):
                referenced.add(token)
    return referenced, recorded


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


class TestWorkerPreset(GeneratedProject):
    label = "worker"
    answers: ClassVar[dict[str, Any]] = preset_answers("worker")


class TestRabbitmqWithPostgres(GeneratedProject):
    label = "rabbitmq-postgres"
    answers: ClassVar[dict[str, Any]] = {
        "workload": "mixed",
        "database": "postgres",
        "queue": "rabbitmq",
        "observability": ["metrics", "tracing"],
        "ci": "gitlab",
        "deploy": ["compose"],
    }


class TestJwtWithTracingOnNode22(GeneratedProject):
    label = "jwt-tracing-node22"
    answers: ClassVar[dict[str, Any]] = {
        "node_version": 22,
        "workload": "io",
        "observability": ["tracing"],
        "auth": "jwt",
        "api_docs": False,
        "ci": "gitlab",
        "deploy": ["kubernetes"],
    }
