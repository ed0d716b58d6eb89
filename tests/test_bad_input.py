"""Hostile input against a running generated service: every answer is problem+json, nothing breaks.

One class per preset (minimal: in-memory stores; api: Postgres, Redis, JWT), each booting its
service once; the last test of each class checks that the process survived all of it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote

import pytest

from tests.generated import (
    BootedPreset,
    Response,
    installed_preset,
    json_lines,
    preset_service,
    record_figure,
    request,
    wait_for_log_line,
)

pytestmark = pytest.mark.slow

ORDER = {"customerId": "customer-1", "items": [{"sku": "SKU-1", "quantity": 1}]}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SQL = "'; DROP TABLE orders; --"


def assert_problem(response: Response, *statuses: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with one of the statuses; returns its body."""
    assert response.status in statuses, (response.status, response.body[:500])
    assert response.headers["content-type"].startswith("application/problem+json"), response
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status
    assert body["title"]
    assert body["requestId"]
    return body


def raw_exchange(port: int, head: bytes, body: bytes = b"") -> bytes:
    """Send bytes on one connection (tolerating an early close) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        # The server may answer and close before reading everything, as it should.
        with contextlib.suppress(OSError):
            connection.sendall(head + body)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except OSError:
            pass
    return received


def parse_raw(data: bytes) -> Response:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return Response(
        status=int(lines[0].split(" ", 2)[1]),
        headers={key.lower(): value for key, value in headers.items()},
        body=body,
    )


def cursor(fields: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


def best_of(attempts: int, send: Any) -> tuple[float, Response]:
    """The fastest of a few tries (a scheduler hiccup on a busy CI box is not a slow regex)."""
    timings = []
    response = None
    for _ in range(attempts):
        started = time.perf_counter()
        response = send()
        timings.append(time.perf_counter() - started)
    assert response is not None
    return min(timings), response


class HostileInput:
    preset: ClassVar[str]

    @pytest.fixture(scope="class")
    @classmethod
    def booted(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BootedPreset]:
        installed = installed_preset(cls.preset, tmp_path_factory)
        with preset_service(
            installed, label=f"bad-input-{cls.preset}", env={"RATE_LIMIT_MAX": "1000000"}
        ) as booted:
            # A process that just started on a busy machine may shed load (503) for a moment.
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if (
                    request(booted.service.port, "GET", "/orders", headers=booted.headers).status
                    != 503
                ):
                    break
                time.sleep(0.2)
            yield booted

    def post(self, booted: BootedPreset, body: Any, **headers: str) -> Response:
        return request(
            booted.service.port, "POST", "/orders", body=body, headers={**booted.headers, **headers}
        )

    def get(self, booted: BootedPreset, path: str, **headers: str) -> Response:
        return request(booted.service.port, "GET", path, headers={**booted.headers, **headers})

    def test_malformed_json_is_a_400_problem(self, booted: BootedPreset) -> None:
        for payload in (b'{"customerId": ', b"{'a': 1}", b"[1, 2,]", b"\xff\xfe", b"NaN"):
            assert_problem(self.post(booted, payload), 400)

    def test_a_body_that_is_not_json_is_a_415_problem(self, booted: BootedPreset) -> None:
        for content_type in (
            "text/plain",
            "application/xml",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
        ):
            response = self.post(booted, b'{"customerId": "c"}', **{"content-type": content_type})
            assert_problem(response, 415)

    def test_a_body_over_the_limit_is_a_413_problem_with_or_without_a_length(
        self, booted: BootedPreset
    ) -> None:
        body = b'{"customerId": "' + b"x" * 2_000_000 + b'"}'
        auth = "".join(f"{key}: {value}\r\n" for key, value in booted.headers.items())
        base = (
            f"POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{auth}"
            "Connection: close\r\n"
        )
        declared = raw_exchange(
            booted.service.port, f"{base}Content-Length: {len(body)}\r\n\r\n".encode(), body
        )
        chunks = b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + 65536]), body[i : i + 65536])
            for i in range(0, len(body), 65536)
        )
        chunked = raw_exchange(
            booted.service.port,
            f"{base}Transfer-Encoding: chunked\r\n\r\n".encode(),
            chunks + b"0\r\n\r\n",
        )

        assert_problem(parse_raw(declared), 413)
        assert_problem(parse_raw(chunked), 413)

    def test_deeply_nested_json_is_refused_quickly(self, booted: BootedPreset) -> None:
        depth = 100_000
        slowest = 0.0
        for payload in (
            b"[" * depth + b"]" * depth,
            b'{"a":' * depth + b"1" + b"}" * depth,
            b'{"customerId": "c", "items": [' + b"[" * depth + b"]" * depth + b"]}",
        ):
            started = time.perf_counter()
            assert_problem(self.post(booted, payload), 400)
            slowest = max(slowest, time.perf_counter() - started)
        record_figure(
            f"{self.preset}: nested JSON depth {depth}, slowest answer (ms)", round(slowest * 1000)
        )
        assert slowest < 1

    def test_prototype_pollution_payloads_are_refused_and_pollute_nothing(
        self, booted: BootedPreset
    ) -> None:
        polluting = [
            b'{"customerId":"c","items":[{"sku":"a","quantity":1}],"__proto__":{"polluted":1}}',
            b'{"customerId":"c","items":[{"sku":"a","quantity":1,"__proto__":{"polluted":1}}]}',
            b'{"customerId":"c","items":[{"sku":"a","quantity":1}],'
            b'"constructor":{"prototype":{"polluted":1}}}',
            b'{"customerId":"c","items":[{"sku":"a","quantity":1,'
            b'"constructor":{"prototype":{"polluted":1}}}]}',
        ]
        for payload in polluting:
            assert_problem(self.post(booted, payload), 400)
        for query in ("__proto__[polluted]=1", "constructor[prototype][polluted]=1"):
            self.get(booted, f"/orders?{query}")

        created = self.post(booted, ORDER)
        listed = self.get(booted, "/orders?limit=100")
        live = request(booted.service.port, "GET", "/health/live")

        assert created.status == 201
        # A polluted Object.prototype shows up in every object the service serializes.
        for response in (created, listed, live):
            assert b"polluted" not in response.body
        assert all("polluted" not in item for item in listed.json()["items"])

    def test_huge_headers_get_431_or_a_clean_close(self, booted: BootedPreset) -> None:
        head = (
            f"GET /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {'a' * 100_000}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        answer = raw_exchange(booted.service.port, head)
        if answer:
            assert parse_raw(answer).status == 431
        assert request(booted.service.port, "GET", "/health/live").status == 200

    def test_headers_just_over_the_limit_get_a_431_problem(self, booted: BootedPreset) -> None:
        head = (
            f"GET /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {'a' * 20_000}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        assert_problem(parse_raw(raw_exchange(booted.service.port, head)), 431)

    def test_a_request_the_http_parser_refuses_gets_a_400_problem(
        self, booted: BootedPreset
    ) -> None:
        for head in (
            b"GET /orders HTTP/1.1 junk\r\n\r\n",
            b"GET /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n",
            b"POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ):
            assert_problem(parse_raw(raw_exchange(booted.service.port, head)), 400)

    def test_a_request_with_two_host_headers_gets_a_400_problem(self, booted: BootedPreset) -> None:
        auth = "".join(f"{key}: {value}\r\n" for key, value in booted.headers.items())
        head = (
            f"GET /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n{auth}"
            "Connection: close\r\n\r\n"
        ).encode()
        body = assert_problem(parse_raw(raw_exchange(booted.service.port, head)), 400)
        assert "more than one Host header" in body["detail"]

    def test_an_invalid_request_id_is_replaced_not_echoed(self, booted: BootedPreset) -> None:
        hostile = [
            "bad id <script>alert(1)</script>",
            "a" * 500,
            'x"}{"level":"fatal',
            "../../etc/passwd",
        ]
        answered = [self.get(booted, "/orders/not-a-uuid", **{"x-request-id": v}) for v in hostile]
        # Lines are written in order: once the last request's is out, every earlier one is too.
        last_id = answered[-1].headers["x-request-id"]
        wait_for_log_line(booted.service, lambda line: line.get("requestId") == last_id)
        log = booted.service.output()
        requests_logged = {line.get("requestId") for line in json_lines(log) if "requestId" in line}

        for value, response in zip(hostile, answered, strict=True):
            body = assert_problem(response, 400)
            assert UUID.match(response.headers["x-request-id"]), response.headers
            assert body["requestId"] == response.headers["x-request-id"]
            assert response.headers["x-request-id"] in requests_logged
            assert value not in requests_logged
        assert "<script>" not in log
        assert '"level":"fatal"' not in log

    def test_path_traversal_in_ids_is_a_400_or_404_problem(self, booted: BootedPreset) -> None:
        for path in (
            "/orders/..%2F..%2Fetc%2Fpasswd",
            "/orders/..%252F..%252Fetc%252Fpasswd",
            "/orders/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/orders/../../etc/passwd",
            "/orders/..%5c..%5cwindows%5cwin.ini",
            "/orders/%c0%ae%c0%ae%2fetc%2fpasswd",
            "/orders/%00",
            "/orders/" + "a" * 500,
        ):
            body = assert_problem(self.get(booted, path), 400, 404)
            assert "root:" not in json.dumps(body)

    def test_sql_metacharacters_are_stored_and_returned_verbatim(
        self, booted: BootedPreset
    ) -> None:
        nasty = [SQL, "' OR '1'='1", "\\'; SELECT pg_sleep(10); --", '"; $1 %s %_ \\x00 --']
        created = [
            self.post(
                booted,
                {"customerId": value, "items": [{"sku": value[:64], "quantity": 1}]},
                **{"idempotency-key": f"{value}-{index}"},
            )
            for index, value in enumerate(nasty)
        ]
        fetched = [self.get(booted, f"/orders/{order.json()['id']}") for order in created]
        listed = self.get(booted, f"/orders?limit=100&cursor={quote(SQL)}")
        page = self.get(booted, "/orders?limit=100")

        for value, order, again in zip(nasty, created, fetched, strict=True):
            assert order.status == 201, order.body
            assert order.json()["customerId"] == value
            assert order.json()["items"][0]["sku"] == value[:64]
            assert again.json() == order.json()
        assert_problem(listed, 400)
        assert {order.json()["id"] for order in created} <= {i["id"] for i in page.json()["items"]}
        if "DATABASE_URL" in booted.servers:
            counted = subprocess.run(
                ["psql", booted.servers["DATABASE_URL"], "-tAc", "SELECT count(*) FROM orders"],
                capture_output=True,
                text=True,
                check=True,
            )
            assert int(counted.stdout) >= len(nasty)

    def test_hand_made_cursors_page_on_or_get_a_400_problem(self, booted: BootedPreset) -> None:
        # A well-formed position pages on (in memory any string is one); Postgres refuses an id
        # that is no UUID or a date out of its range, which must be a 400, never a 500.
        for fields in (
            {"createdAt": "2024-01-01T00:00:00.000Z", "id": "not-a-uuid"},
            {"createdAt": "2024-01-01T00:00:00.000Z", "id": SQL},
            {"createdAt": "-271821-04-20T00:00:00.000Z", "id": "00000000-0000-0000-0000-0000000"},
        ):
            response = self.get(booted, f"/orders?cursor={cursor(fields)}")
            if response.status != 200:
                assert_problem(response, 400)
        invalid = {"createdAt": "not a date", "id": "00000000-0000-0000-0000-000000000000"}
        assert_problem(self.get(booted, f"/orders?cursor={cursor(invalid)}"), 400)

    def test_pathological_input_to_each_pattern_field_is_answered_within_50_ms(
        self, booted: BootedPreset
    ) -> None:
        document = request(booted.service.port, "GET", "/openapi.json").json()
        patterned = _patterned_fields(document)
        near_miss = "\u00e9a0-" * 40
        probes: dict[str, Any] = {
            "customerId": lambda: self.post(
                booted, {"customerId": near_miss[:127] + "\x00", "items": ORDER["items"]}
            ),
            "sku": lambda: self.post(
                booted,
                {"customerId": "c", "items": [{"sku": near_miss[:63] + "\x7f", "quantity": 1}]},
            ),
            "id": lambda: self.get(booted, "/orders/" + "0" * 8 + "-0000" * 3 + "-" + "0" * 70),
            "x-request-id": lambda: self.get(booted, "/orders", **{"x-request-id": "a-" * 5000}),
        }
        # Every pattern or format the contract declares is probed here (a new one must be added).
        assert patterned <= set(probes), patterned - set(probes)

        timings = {}
        for field, send in probes.items():
            seconds, response = best_of(3, send)
            if field == "x-request-id":
                assert response.status == 200
            else:
                assert_problem(response, 400)
            timings[field] = round(seconds * 1000, 1)
        record_figure(f"{self.preset}: pathological pattern input, best of 3 (ms)", timings)
        assert max(timings.values()) < 50, timings

    def test_the_service_survived_everything(self, booted: BootedPreset) -> None:
        assert booted.service.process.poll() is None
        assert request(booted.service.port, "GET", "/health/ready").status == 200
        assert self.post(booted, ORDER).status == 201
        errors = [
            line
            for line in json_lines(booted.service.output())
            if line.get("level") in {"error", "fatal"}
        ]
        assert errors == [], errors[:3]


def _patterned_fields(document: dict[str, Any]) -> set[str]:
    """Request parameters and body properties whose schema has a `pattern` or a `format`."""
    found: set[str] = set()
    schemas = document.get("components", {}).get("schemas", {})

    def walk(node: Any, name: str | None) -> None:
        if isinstance(node, dict):
            if name and ("pattern" in node or node.get("format") in {"uuid", "regex"}):
                found.add(name)
            if "$ref" in node:
                walk(schemas[node["$ref"].rsplit("/", 1)[-1]], name)
            if "in" in node and "name" in node and "schema" in node:
                walk(node["schema"], node["name"])
            for key, value in node.get("properties", {}).items():
                walk(value, key)
            for key, value in node.items():
                if key not in {"properties", "schema", "responses"}:
                    walk(value, None)
        elif isinstance(node, list):
            for item in node:
                walk(item, name)

    for path, operations in document["paths"].items():
        if not path.startswith("/health"):
            walk(operations, None)
    return found


class TestMinimalPreset(HostileInput):
    preset = "minimal"


class TestApiPreset(HostileInput):
    preset = "api"
