"""Contract fuzzing: schemathesis against the OpenAPI document a running generated service serves.

One class per preset, so pytest-xdist (`--dist loadscope`) fuzzes minimal and api side by side.
The run is bounded by examples per operation and phases (a time budget would always be spent in
full); the seed makes it reproducible.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.generated import (
    VENV_BIN,
    BootedPreset,
    installed_preset,
    preset_service,
    record_figure,
)

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 30

# Where the checks' defaults do not fit the contract, the exceptions are stated per operation.
# Cursors are opaque: every string matches the schema, only those this API issued are accepted
# (400 otherwise). Reusing an Idempotency-Key with a different body is refused with 422, as the
# IETF Idempotency-Key draft prescribes, and the fuzzer reuses keys across generated bodies.
SCHEMATHESIS_CONFIG = """
[[operations]]
include-name = "GET /orders"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "429", "503"]

[[operations]]
include-name = "POST /orders"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "409", "422", "429", "503"]
"""

# The bearer token goes through the OpenAPI security scheme, so the auth checks can leave it out.
BEARER_AUTH_CONFIG = """
[auth.openapi.bearerAuth]
bearer = "${SCAFFOLD_FUZZ_TOKEN}"
"""


def run_schemathesis(booted: BootedPreset, workdir: Path) -> dict[str, Any]:
    """Fuzz the service; return the JSON report, the HAR's responses and the CLI's output."""
    config = SCHEMATHESIS_CONFIG
    env = dict(os.environ)
    token = booted.headers.get("authorization", "").removeprefix("Bearer ")
    if token:
        config += BEARER_AUTH_CONFIG
        env["SCAFFOLD_FUZZ_TOKEN"] = token
    # schemathesis reads its config and writes .hypothesis/ and .schemathesis/ in the cwd.
    (workdir / "schemathesis.toml").write_text(config, encoding="utf-8")
    reports = workdir / "reports"
    command = [
        str(VENV_BIN / "schemathesis"),
        "run",
        f"http://127.0.0.1:{booted.service.port}/openapi.json",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        "coverage,fuzzing,stateful",
        "--seed",
        "42",
        # One worker: with two, hypothesis' concurrent ast.parse trips a CPython 3.11 race
        # ("SystemError: AST constructor recursion depth mismatch") now and then.
        "--workers",
        "1",
        "--no-color",
        "--generation-database",
        "none",
        "--request-timeout",
        "5",
        # Fastify answers unknown methods with 404 (no route) rather than 405; not a fault.
        "--exclude-checks",
        "unsupported_method",
        "--report",
        "json,har,junit",
        "--report-dir",
        str(reports),
    ]
    completed = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    report = json.loads(next(reports.glob("json-*.json")).read_text(encoding="utf-8"))
    har = json.loads(next(reports.glob("har-*.json")).read_text(encoding="utf-8"))
    return {
        "code": completed.returncode,
        "output": completed.stdout + completed.stderr,
        "report": report,
        "responses": [
            (entry["request"]["url"], entry["response"]) for entry in har["log"]["entries"]
        ],
    }


def _header(response: dict[str, Any], name: str) -> str:
    return next((h["value"] for h in response["headers"] if h["name"].lower() == name.lower()), "")


class FuzzedPreset:
    preset: ClassVar[str]

    @pytest.fixture(scope="class")
    @classmethod
    def booted(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BootedPreset]:
        installed = installed_preset(cls.preset, tmp_path_factory)
        # A limit the fuzzer never reaches: 429s would hide what the routes do with the input.
        with preset_service(
            installed, label=f"contract-{cls.preset}", env={"RATE_LIMIT_MAX": "1000000"}
        ) as booted:
            yield booted

    def test_schemathesis_finds_no_server_error_and_no_contract_violation(
        self, booted: BootedPreset, tmp_path: Path
    ) -> None:
        started = time.monotonic()
        result = run_schemathesis(booted, tmp_path)
        elapsed = time.monotonic() - started

        report = result["report"]
        statuses = Counter(response["status"] for _, response in result["responses"])
        server_errors = {
            status: count for status, count in statuses.items() if status >= 500 and status != 503
        }
        not_problems = [
            (url, response["status"], _header(response, "content-type"))
            for url, response in result["responses"]
            if response["status"] >= 400
            and "/health/" not in url
            and not _header(response, "content-type").startswith("application/problem+json")
        ]
        record_figure(
            f"{self.preset}: schemathesis",
            f"{report['test_cases']['generated']} cases, {len(result['responses'])} requests, "
            f"{sum(server_errors.values())} 5xx, {len(report['failures'])} failures, "
            f"statuses {dict(sorted(statuses.items()))}, {elapsed:.1f} s",
        )
        assert result["code"] == 0, result["output"][-6000:]
        assert report["operations"]["tested"] == report["operations"]["selected"]
        assert report["test_cases"]["generated"] >= 100
        assert report["failures"] == []
        assert report["errors"] == []
        assert server_errors == {}
        assert not_problems == []
        assert booted.service.process.poll() is None, "the service died under fuzzing"


class TestMinimalPreset(FuzzedPreset):
    preset = "minimal"


class TestApiPreset(FuzzedPreset):
    preset = "api"
