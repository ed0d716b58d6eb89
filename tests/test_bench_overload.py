"""The bench's open-loop generator and its overload report, against a small local server."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from bench.openloop import build_generator, parse_open_loop, run_open_loop
from bench.report import render_markdown

OUTPUT = """status_200 90
status_503 10
due 100
sent 100
answered 100
never_sent 0
connection_errors 1
timeouts 2
seconds 2.000
refused_without_retry_after 3
ok_p50_ms 1.500
ok_p99_ms 9.250
refused_p99_ms 0.750
"""


def test_open_loop_output_is_parsed_into_goodput_refusals_and_percentiles() -> None:
    figures = parse_open_loop(OUTPUT, rate=50)

    assert figures.statuses == {200: 90, 503: 10}
    assert figures.ok_per_second == 45
    assert (figures.refused, figures.other) == (10, 0)
    assert (figures.connection_errors, figures.timeouts) == (1, 2)
    assert figures.refused_without_retry_after == 3
    assert figures.ok_ms == {"50": 1.5, "99": 9.25}
    assert figures.refused_ms == {"99": 0.75}


def test_open_loop_output_without_its_totals_is_an_error_quoting_it() -> None:
    with pytest.raises(ValueError, match="status_200 1"):
        parse_open_loop("status_200 1\n", rate=1)


def test_goodput_counts_the_time_answers_kept_arriving_after_the_window() -> None:
    # 90 answers of a 2 s window still arriving until 4.5 s: 20 per second, not 45.
    figures = parse_open_loop(OUTPUT + "elapsed 4.500\n", rate=50)

    assert figures.ok_per_second == 20


class _EveryFifthRefused(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    served = 0
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            type(self).served += 1
            refuse = type(self).served % 5 == 0
        body = b'{"status":503}' if refuse else b'{"ok":true}'
        self.send_response(503 if refuse else 200)
        self.send_header("content-length", str(len(body)))
        if refuse and type(self).served % 10 != 0:
            self.send_header("retry-after", "1")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def local_server() -> Iterator[int]:
    _EveryFifthRefused.served = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EveryFifthRefused)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_generator_sends_at_the_rate_whatever_the_answers_and_counts_them(
    local_server: int, tmp_path: Path
) -> None:
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler (apt-get install -y gcc)")
    generator = build_generator(tmp_path)

    figures = run_open_loop(
        generator, local_server, "/x", rate=200, seconds=1, connections=4, timeout_ms=2000
    )

    assert figures.due == figures.sent == 200
    assert figures.statuses == {200: 160, 503: 40}
    # Every tenth answer is a 503 without Retry-After.
    assert figures.refused_without_retry_after == 20
    assert figures.connection_errors == figures.timeouts == figures.never_sent == 0
    assert 0 < figures.ok_ms["50"] <= figures.ok_ms["99"] <= figures.ok_ms["100"]
    # The last request was due at 0.995 s: its answer cannot come sooner.
    assert figures.elapsed >= 0.995


def test_the_overload_report_has_a_row_per_window_and_the_recovery() -> None:
    open_loop = parse_open_loop(OUTPUT, rate=50)
    run = {
        "round": 1,
        "name": "minimal",
        "capacity_rps": 25.0,
        "recovery_seconds": 0.4,
        "open_loop": [
            {
                **open_loop.__dict__,
                "offered_multiple": 2.0,
                "goodput_share": 1.8,
                "probes": {"probes": 30, "not_200": 0, "max_ms": 4.2},
            }
        ],
        "closed_loop": {
            "connections": 2000,
            "statuses": {"200": 50, "503": 7},
            "errors": 0,
            "timeouts": 0,
            "goodput_share": 0.75,
            "probes": {"probes": 30, "not_200": 1, "max_ms": 12.0},
        },
    }
    results = {
        "date": "2026-12-03 07:00 UTC",
        "command": "python -m bench --only overload",
        "machine": {
            "cores": 2,
            "cpu_model": "x",
            "kernel": "y",
            "node": "v24",
            "load_average_1min": 0.1,
        },
        "settings": {"connections": 50, "warmup_seconds": 1, "measure_seconds": 3, "rounds": 1},
        "load_generator": "wrk",
        "duration_seconds": 60,
        "load_average_after": 0.2,
        "overload": [run],
    }

    markdown = render_markdown(results)

    assert "## Overload" in markdown
    open_row = "| 2x open-loop (50/s) | 180 % of 25/s | 9.2 | 0.8 | 10 | 1 / 2 / 0 | 0 (4.2) |"
    closed_row = "| 2,000 closed-loop | 75 % of 25/s |  |  | 7 | 0 / 0 / 0 | 1 (12.0) |"
    assert f"| 1 | minimal {open_row}" in markdown
    assert f"| 1 | minimal {closed_row}" in markdown
    assert "normal latency after 0.40 s" in markdown
