"""Readiness under a probe flood and a broken database (issue 20.3), on the built `api` preset.

The service runs for real against the shared PostgreSQL with a database of this module's own, so
`pg_stat_database.xact_commit` of that database counts every transaction the service ran. A run
idle for a few seconds and a run flooded with `/health/ready` by wrk for the same time are
compared: the difference is what the flood cost the database. Transactions are read after the
service stopped, because a backend reports its statistics when it exits at the latest.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

from tests.generated import (
    InstalledPreset,
    backing_services,
    installed_preset,
    json_lines,
    jwt_credentials,
    record_figure,
    request,
    run,
    running_service,
    service_environment,
)

pytestmark = pytest.mark.slow

SECONDS = 3
CONNECTIONS = 50
CACHE_MS = 1_000


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> InstalledPreset:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is missing: `apt-get install -y wrk` (.ci/run installs it)")
    return installed_preset("api", tmp_path_factory)


@pytest.fixture(scope="module")
def env(api: InstalledPreset) -> dict[str, str]:
    servers = backing_services(api.answers, name="readiness-flood")
    run(api.path, "npm", "run", "migrate", env={"DATABASE_URL": servers["DATABASE_URL"]})
    service_env = service_environment(api.path, servers, jwt_credentials(api.path))
    service_env["READINESS_CACHE_MS"] = str(CACHE_MS)
    return service_env


def _transactions(database_url: str) -> int:
    """Committed transactions of the database so far (this query's own included)."""
    completed = subprocess.run(
        [
            "psql",
            database_url,
            "-At",
            "-c",
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return int(completed.stdout.strip())


def _transactions_of_a_run(
    api: InstalledPreset, env: dict[str, str], *, flood: bool
) -> tuple[int, int]:
    """Transactions one service run of SECONDS cost, and the probes wrk sent meanwhile."""
    before = _transactions(env["DATABASE_URL"])
    probes = 0
    with running_service(api.path, env) as service:
        if flood:
            completed = subprocess.run(
                [
                    "wrk",
                    "-t1",
                    f"-c{CONNECTIONS}",
                    f"-d{SECONDS}s",
                    "--timeout",
                    "5s",
                    f"http://127.0.0.1:{service.port}/health/ready",
                ],
                capture_output=True,
                text=True,
                timeout=SECONDS + 30,
                check=True,
            )
            sent = re.search(r"(\d+) requests in", completed.stdout)
            assert sent, completed.stdout
            probes = int(sent.group(1))
        else:
            time.sleep(SECONDS)
        assert service.stop() == 0, service.output()[-3000:]
    # The backends report their counts as they exit with the pool; give the last one a moment.
    time.sleep(0.5)
    return _transactions(env["DATABASE_URL"]) - before, probes


def test_a_flood_of_readiness_probes_costs_the_database_a_few_checks_per_second(
    api: InstalledPreset, env: dict[str, str]
) -> None:
    idle, _ = _transactions_of_a_run(api, env, flood=False)
    flooded, probes = _transactions_of_a_run(api, env, flood=True)
    caused = max(flooded - idle, 0)
    record_figure(
        f"api: {SECONDS} s of /health/ready from {CONNECTIONS} connections (probes / extra"
        " Postgres transactions)",
        f"{probes} / {caused}",
    )

    assert probes > 1_000, "the flood never got going"
    # One evaluation per cache period runs the database and migrations checks (a few
    # transactions); start-up and timing jitter allow a couple of periods more.
    evaluations = SECONDS * 1_000 // CACHE_MS + 3
    assert caused <= evaluations * 4, (probes, flooded, idle)


def test_in_production_a_failing_database_is_named_in_the_log_not_in_the_readiness_body(
    api: InstalledPreset, env: dict[str, str]
) -> None:
    broken = {**env, "DATABASE_URL": env["DATABASE_URL"].rsplit("/", 1)[0] + "/nope_db"}
    with running_service(api.path, broken, ready_path="/health/live") as service:
        answers = []
        for _ in range(5):
            answers.append(request(service.port, "GET", "/health/ready"))
            time.sleep(CACHE_MS / 1000 / 2)
        service.stop()
    warnings = [
        line
        for line in json_lines(service.output())
        if line.get("msg") == "readiness check failing" and line.get("check") == "database"
    ]

    assert {answer.status for answer in answers} == {503}
    for answer in answers:
        assert answer.json()["checks"]["database"] == {"status": "failed"}
        assert b"nope_db" not in answer.body
    assert len(warnings) == 1, warnings
    assert "nope_db" in warnings[0]["error"]
    assert warnings[0]["level"] in (40, "warn")
