"""Fault injection against the generated `api` preset: its dependencies fail, its worker dies,
it is redeployed — and it degrades, recovers and loses nothing, with the figures recorded.

Outages use private servers (a Postgres cluster, a redis-server) so no other test is disturbed.
The worker's confirmation sender is slowed from the test with an ESM loader hook (`--import`),
never by a knob in the service: the service runs its real `dist/worker.js`.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scaffold.probes import free_port
from tests.generated import (
    InstalledPreset,
    Response,
    Service,
    backing_services,
    installed_preset,
    json_lines,
    jwt_credentials,
    private_postgres,
    private_redis,
    record_figure,
    request,
    run,
    running_service,
    service_environment,
    wait_for_log_line,
)

pytestmark = pytest.mark.slow

ORDER = {"customerId": "customer-42", "items": [{"sku": "SKU-1", "quantity": 2}]}
# Short enough for a test, and still well above any pause of the worker's event loop.
LOCK_DURATION_MS = 2_000
SHUTDOWN_TIMEOUT_MS = 10_000

# Loaded with `node --import`: wraps the worker's sender and processed-jobs store so a job can
# be caught in flight. Customer "hold-before-send" waits before sending; after any job is
# recorded as processed the worker waits too (the window where only the record prevents a resend).
SLOW_JOBS_HOOK = """
import { registerHooks } from 'node:module';

const holdMs = Number(process.env.TEST_HOLD_MS ?? '60000');
const holdAfterRecord = process.env.TEST_HOLD_AFTER_RECORD === '1';
const wrappers = {
  '/dist/infra/notifications/logging-notification-sender.js': (url) => `
    import { LoggingNotificationSender as Sender } from '${url}?original';
    export class LoggingNotificationSender extends Sender {
      async sendOrderConfirmation(job, key) {
        if (job.customerId.startsWith('hold-before-send')) {
          console.log(JSON.stringify({ msg: 'test: holding the send', orderId: job.orderId }));
          await new Promise((resolve) => setTimeout(resolve, ${holdMs}));
        }
        return super.sendOrderConfirmation(job, key);
      }
    }`,
  '/dist/infra/redis/redis-processed-jobs.js': (url) => `
    import { RedisProcessedJobs as Store } from '${url}?original';
    export class RedisProcessedJobs extends Store {
      async markProcessed(jobId) {
        await super.markProcessed(jobId);
        if (${holdAfterRecord}) {
          console.log(JSON.stringify({ msg: 'test: holding after the record', jobId }));
          await new Promise((resolve) => setTimeout(resolve, ${holdMs}));
        }
      }
    }`,
};

registerHooks({
  load(url, context, nextLoad) {
    const suffix = Object.keys(wrappers).find((name) => url.endsWith(name));
    if (suffix === undefined) return nextLoad(url, context);
    return { format: 'module', shortCircuit: true, source: wrappers[suffix](url) };
  },
});
"""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> InstalledPreset:
    return installed_preset("api", tmp_path_factory)


@pytest.fixture(scope="module")
def credentials(api: InstalledPreset) -> dict[str, str]:
    return jwt_credentials(api.path)


@pytest.fixture(scope="module")
def servers(api: InstalledPreset) -> dict[str, str]:
    """The shared Postgres (a database of this module's own, migrated) and Redis."""
    urls = backing_services(api.answers, name="faults-api")
    run(api.path, "npm", "run", "migrate", env={"DATABASE_URL": urls["DATABASE_URL"]})
    return urls


@pytest.fixture(scope="module")
def slow_jobs_hook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hooks") / "slow-jobs.mjs"
    path.write_text(SLOW_JOBS_HOOK, encoding="utf-8")
    return path


def _auth(credentials: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in credentials.items() if not key.isupper()}


def _env(
    api: InstalledPreset, servers: dict[str, str], credentials: dict[str, str], **extra: str
) -> dict[str, str]:
    """Production env with a key prefix of the test's own: its queue and cache keys are private."""
    env = service_environment(api.path, servers, credentials)
    env.update(
        {
            "RATE_LIMIT_MAX": "1000000",
            "SHUTDOWN_TIMEOUT_MS": str(SHUTDOWN_TIMEOUT_MS),
            "REDIS_KEY_PREFIX": f"faults-{uuid.uuid4().hex[:8]}:",
            "JOB_LOCK_DURATION_MS": str(LOCK_DURATION_MS),
        }
    )
    env.update(extra)
    return env


@dataclass(frozen=True)
class Outcome:
    """One request of a load loop."""

    started: float
    seconds: float
    status: int
    problem: bool
    retry_after: bool


class Load:
    """Threads sending one request after another until stopped, recording every outcome."""

    def __init__(self, send: Callable[[], Response], *, threads: int) -> None:
        self._send = send
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop) for _ in range(threads)]
        self.outcomes: list[Outcome] = []

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                response = self._send()
            except OSError:
                self.outcomes.append(Outcome(started, time.monotonic() - started, 0, False, False))
                continue
            self.outcomes.append(
                Outcome(
                    started,
                    time.monotonic() - started,
                    response.status,
                    response.headers.get("content-type", "").startswith("application/problem+json"),
                    "retry-after" in response.headers,
                )
            )

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


def _seconds_until(
    port: int, path: str, accept: Callable[[Response], bool], timeout: float = 15
) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if accept(request(port, "GET", path, timeout=2)):
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.05)
    return float("inf")


def _status(code: int) -> Callable[[Response], bool]:
    return lambda response: response.status == code


def _check(name: str, status: str) -> Callable[[Response], bool]:
    return lambda response: response.json()["checks"].get(name, {}).get("status") == status


def _queued_job_ids(redis_url: str, prefix: str) -> set[str]:
    """Ids of the confirmation jobs BullMQ holds under the key prefix (any state)."""
    keys = subprocess.run(
        [
            "redis-cli",
            "-u",
            redis_url,
            "--scan",
            "--pattern",
            f"{prefix}bull:*:order-confirmation-*",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    # {prefix}bull:{queue}:{job id}[:lock|:logs…]; the prefix and queue name hold no colon.
    return {key.split(":")[3] for key in keys if key.count(":") >= 3}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class TestApiPresetFaults:
    """One class, so `--dist loadscope` runs these on one worker after one install."""

    def test_postgres_outage_under_load_answers_fast_503s_and_recovers_without_restart(
        self, api: InstalledPreset, servers: dict[str, str], credentials: dict[str, str]
    ) -> None:
        with private_postgres() as postgres:
            run(api.path, "npm", "run", "migrate", env={"DATABASE_URL": postgres.url})
            env = _env(api, {**servers, "DATABASE_URL": postgres.url}, credentials)
            with running_service(api.path, env) as service:

                def create() -> Response:
                    return request(
                        service.port, "POST", "/orders", body=ORDER, headers=_auth(credentials)
                    )

                with Load(create, threads=4) as load:
                    time.sleep(1)
                    postgres.stop()
                    # From the moment the stop returned: requests sent while it ran may still
                    # have reached the server before it went down.
                    stopped_at = time.monotonic()
                    went_down = _seconds_until(service.port, "/health/ready", _status(503))
                    time.sleep(2)
                    # Postgres accepts connections before start() returns.
                    restarting_at = time.monotonic()
                    postgres.start()
                    restarted_at = time.monotonic()
                    came_back = _seconds_until(service.port, "/health/ready", _status(200))
                    time.sleep(1)
                alive = service.process.poll() is None
                created_after = create()

        down_from, down_until = stopped_at + went_down, restarting_at
        during = [
            o
            for o in load.outcomes
            if down_from <= o.started and o.started + o.seconds < down_until
        ]
        after = [o for o in load.outcomes if o.started >= restarted_at + came_back + 0.5]
        statuses = {o.status for o in load.outcomes}
        refusals = [o.seconds for o in during]
        record_figure(
            "api: Postgres outage under load (readiness down / up after restart, s)",
            f"{went_down:.2f} / {came_back:.2f}",
        )
        record_figure(
            "api: POST /orders while Postgres is down (503 latency p50 / max, ms)",
            f"{_percentile(refusals, 0.5) * 1000:.0f} / {max(refusals, default=0) * 1000:.0f}"
            f" over {len(refusals)} requests",
        )
        assert went_down <= 5
        assert came_back <= 5
        assert statuses <= {201, 503}, statuses
        assert during, "no request was answered while Postgres was down"
        assert all(o.status == 503 and o.problem and o.retry_after for o in during), [
            o for o in during if not (o.status == 503 and o.problem and o.retry_after)
        ][:5]
        assert max(refusals) < 1.0
        assert after
        assert {o.status for o in after} == {201}
        assert alive
        assert created_after.status == 201

    def test_redis_outage_keeps_reads_up_and_rate_limits_counted_per_instance_as_documented(
        self, api: InstalledPreset, servers: dict[str, str], credentials: dict[str, str]
    ) -> None:
        limit = 20
        with private_redis() as redis:
            # An hour-long window: the clock-aligned window must not roll over during the test.
            env = _env(
                api,
                {**servers, "REDIS_URL": redis.url},
                credentials,
                RATE_LIMIT_MAX=str(limit),
                RATE_LIMIT_WINDOW_MS="3600000",
            )
            prefix = env["REDIS_KEY_PREFIX"]
            headers = _auth(credentials)
            with running_service(api.path, env) as service:

                def call(method: str, path: str) -> Response:
                    body = ORDER if method == "POST" else None
                    return request(service.port, method, path, body=body, headers=headers)

                order = call("POST", "/orders").json()
                reads_before = [call("GET", f"/orders/{order['id']}") for _ in range(3)]
                cached_before = redis.cli("exists", f"{prefix}order:{order['id']}")
                counted_before = redis.cli("keys", f"{prefix}rate-limit:*")

                redis.stop()
                noticed = _seconds_until(service.port, "/health/ready", _check("redis", "failed"))
                ready_during = request(service.port, "GET", "/health/ready")
                started = time.monotonic()
                reads_during = [call("GET", f"/orders/{order['id']}") for _ in range(10)]
                reads_took = time.monotonic() - started
                created_during = call("POST", "/orders")
                # 15 requests so far: the instance goes on counting them on its own.
                limited_during = [call("GET", f"/orders/{order['id']}").status for _ in range(6)]

                redis.start()
                recovered = _seconds_until(
                    service.port,
                    "/health/ready",
                    lambda r: _check("redis", "ok")(r) and _check("queue", "ok")(r),
                )
                job_id = f"order-confirmation-{created_during.json()['id']}"
                deadline = time.monotonic() + 5
                while (
                    job_id not in _queued_job_ids(redis.url, prefix) and time.monotonic() < deadline
                ):
                    time.sleep(0.2)
                queued = _queued_job_ids(redis.url, prefix)
                alive = service.process.poll() is None

        record_figure(
            "api: Redis outage (noticed / recovered after restart, s)",
            f"{noticed:.2f} / {recovered:.2f}",
        )
        record_figure(
            "api: GET /orders/:id without Redis (10 reads, ms each on average)",
            round(reads_took * 100),
        )
        assert [r.status for r in reads_before] == [200, 200, 200]
        assert [r.headers["x-ratelimit-remaining"] for r in reads_before] == ["18", "17", "16"]
        assert cached_before == "1"
        assert counted_before, "no rate-limit counter in Redis before the outage"
        assert noticed <= 5
        # Documented in ADR 0004 and the runbook: Redis (and, with the outbox, the queue on it)
        # is not critical, so the instance stays in the load balancer.
        assert ready_during.status == 200, ready_during.body
        assert [r.status for r in reads_during] == [200] * 10
        assert all(r.json() == order for r in reads_during)
        assert [int(r.headers["x-ratelimit-remaining"]) for r in reads_during] == list(
            range(15, 5, -1)
        )
        assert reads_took / 10 < 0.25
        assert created_during.status == 201, created_during.body
        assert limited_during == [200] * 5 + [429]
        assert recovered <= 5
        assert job_id in queued, "the order created during the outage has no confirmation job"
        assert alive

    def test_a_worker_killed_mid_job_leaves_it_to_another_worker_that_applies_it_once(
        self,
        api: InstalledPreset,
        servers: dict[str, str],
        credentials: dict[str, str],
        slow_jobs_hook: Path,
    ) -> None:
        env = _env(api, servers, credentials)
        headers = _auth(credentials)
        held = {**env, "WORKER_PORT": str(free_port()), "TEST_HOLD_AFTER_RECORD": "1"}
        with running_service(api.path, env) as service:
            with running_service(
                api.path,
                held,
                entry="dist/worker.js",
                port_variable="WORKER_PORT",
                node_args=("--import", str(slow_jobs_hook)),
            ) as first:
                unsent = request(
                    service.port,
                    "POST",
                    "/orders",
                    body={**ORDER, "customerId": "hold-before-send"},
                    headers=headers,
                ).json()
                recorded = request(
                    service.port, "POST", "/orders", body=ORDER, headers=headers
                ).json()
                wait_for_log_line(first, lambda line: line.get("orderId") == unsent["id"], 15)
                wait_for_log_line(
                    first,
                    lambda line: (
                        line.get("msg") == "test: holding after the record"
                        and recorded["id"] in line.get("jobId", "")
                    ),
                    15,
                )
                first.process.kill()
                first.process.wait(timeout=10)
                killed_at = time.monotonic()

            plain = {**env, "WORKER_PORT": str(free_port())}
            with running_service(
                api.path, plain, entry="dist/worker.js", port_variable="WORKER_PORT"
            ) as second:
                completions = {
                    order["id"]: wait_for_log_line(
                        second, _job_completed(order["id"]), LOCK_DURATION_MS / 1000 * 3 + 10
                    )
                    for order in (unsent, recorded)
                }
                retried_in = time.monotonic() - killed_at

        def sends(worker: Service, order_id: str) -> int:
            return sum(
                1
                for line in json_lines(worker.output())
                if line.get("msg") == "order confirmation sent" and line.get("orderId") == order_id
            )

        record_figure(
            f"api: worker SIGKILLed mid-job, redelivered within (s, lock {LOCK_DURATION_MS} ms)",
            round(retried_in, 2),
        )
        assert completions[unsent["id"]]["outcome"] == "sent"
        assert completions[recorded["id"]]["outcome"] == "already-sent"
        assert (sends(first, unsent["id"]), sends(second, unsent["id"])) == (0, 1)
        assert (sends(first, recorded["id"]), sends(second, recorded["id"])) == (1, 0)
        assert retried_in <= LOCK_DURATION_MS / 1000 * 3 + 5

    def test_sigterm_with_200_requests_in_flight_and_an_active_job_loses_nothing(
        self,
        api: InstalledPreset,
        servers: dict[str, str],
        credentials: dict[str, str],
        slow_jobs_hook: Path,
    ) -> None:
        env = _env(api, servers, credentials, TEST_HOLD_MS="3000")
        headers = _auth(credentials)
        worker_env = {**env, "WORKER_PORT": str(free_port())}
        with (
            running_service(api.path, env) as service,
            running_service(
                api.path,
                worker_env,
                entry="dist/worker.js",
                port_variable="WORKER_PORT",
                node_args=("--import", str(slow_jobs_hook)),
            ) as worker,
        ):
            slow = request(
                service.port,
                "POST",
                "/orders",
                body={**ORDER, "customerId": "hold-before-send"},
                headers=headers,
            ).json()
            wait_for_log_line(worker, lambda line: line.get("orderId") == slow["id"], 15)
            in_flight = [_half_sent_order(service.port, headers) for _ in range(200)]
            time.sleep(0.3)

            signalled = time.monotonic()
            service.process.send_signal(signal.SIGTERM)
            worker.process.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            readiness = request(service.port, "GET", "/health/ready")
            during_delay = [
                request(service.port, "GET", f"/orders/{slow['id']}", headers=headers).status
                for _ in range(10)
            ]
            for connection, rest in in_flight[:100]:
                connection.sendall(rest)
            time.sleep(max(0.0, signalled + 1.5 - time.monotonic()))
            for connection, rest in in_flight[100:]:
                connection.sendall(rest)
            answers = [_read_answer(connection) for connection, _ in in_flight]
            api_exit = service.process.wait(timeout=SHUTDOWN_TIMEOUT_MS / 1000 + 5)
            api_took = time.monotonic() - signalled
            worker_exit = worker.process.wait(timeout=SHUTDOWN_TIMEOUT_MS / 1000 + 5)
            worker_took = time.monotonic() - signalled

        statuses = [status for status, _ in answers]
        created = {order_id for status, order_id in answers if status == 201}
        queued = _queued_job_ids(env["REDIS_URL"], env["REDIS_KEY_PREFIX"])
        worker_lines = json_lines(worker.output())
        completed = [
            line["msg"]
            for line in worker_lines
            if line.get("orderId") == slow["id"] and line.get("msg") == "job completed"
        ]
        record_figure(
            "api: SIGTERM with 200 in flight + an active job",
            f"{statuses.count(201)}/200 answered 201, API exit {api_exit} after {api_took:.2f} s,"
            f" worker exit {worker_exit} after {worker_took:.2f} s",
        )
        assert readiness.status == 503
        assert readiness.json()["status"] == "draining"
        assert during_delay == [200] * 10
        assert statuses == [201] * 200, service.output()[-3000:]
        assert {f"order-confirmation-{order_id}" for order_id in created} <= queued
        assert completed == ["job completed"], worker.output()[-3000:]
        assert api_exit == 0, service.output()[-3000:]
        assert worker_exit == 0, worker.output()[-3000:]
        assert max(api_took, worker_took) <= SHUTDOWN_TIMEOUT_MS / 1000 + 2


def _job_completed(order_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda line: line.get("msg") == "job completed" and line.get("orderId") == order_id


def _half_sent_order(port: int, headers: dict[str, str]) -> tuple[socket.socket, bytes]:
    """A POST /orders whose body is half sent: in flight until the rest is sent."""
    body = json.dumps(ORDER).encode()
    extra = "".join(f"{key}: {value}\r\n" for key, value in headers.items())
    head = (
        "POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{extra}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(head + body[:10])
    return connection, body[10:]


def _read_answer(connection: socket.socket) -> tuple[int, str | None]:
    """(status, order id) of a `Connection: close` response; (0, None) when the connection broke."""
    connection.settimeout(20)
    data = b""
    try:
        while chunk := connection.recv(65536):
            data += chunk
    except OSError:
        return 0, None
    finally:
        connection.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1"):
        return 0, None
    status = int(head.split(b" ", 2)[1])
    try:
        return status, json.loads(body).get("id")
    except ValueError:
        return status, None
