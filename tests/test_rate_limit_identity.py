"""Rate-limit identity behind a trusted proxy (issue 20.4), on the built `minimal` preset.

The service runs for real with loopback as its trusted proxy (TRUST_PROXY=127.0.0.1), so the
test stands for the ingress and writes X-Forwarded-For itself: one client spelling its address
several ways, and junk, must each get one budget of RATE_LIMIT_MAX requests, not one per spelling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.generated import (
    InstalledPreset,
    Service,
    installed_preset,
    record_figure,
    request,
    running_service,
    service_environment,
)

pytestmark = pytest.mark.slow

LIMIT = 20
SENT = 25
ORDER_PATH = "/orders/00000000-0000-4000-8000-000000000000"
SPELLINGS: dict[str, Callable[[int], str]] = {
    "IPv4:port": lambda n: f"198.51.100.7:{40_000 + n}",
    "[IPv6]:port in one /64": lambda n: f"[2001:db8:1:2::{n + 1:x}]:{443 + n}",
    "IPv4-mapped IPv6": lambda n: "::ffff:203.0.113.9" if n % 2 else "203.0.113.9",
    "junk": lambda n: f"junk-{n}",
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    minimal: InstalledPreset = installed_preset("minimal", tmp_path_factory)
    env = service_environment(minimal.path, {})
    # A window far longer than the test: every request of a spelling falls into one window.
    env.update({"TRUST_PROXY": "127.0.0.1", "RATE_LIMIT_MAX": str(LIMIT)})
    env["RATE_LIMIT_WINDOW_MS"] = str(3_600_000)
    with running_service(minimal.path, env) as running:
        yield running


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_one_client_spelling_its_forwarded_address_differently_gets_one_budget(
    service: Service, spelling: str
) -> None:
    statuses = [
        request(
            service.port,
            "GET",
            ORDER_PATH,
            headers={"x-forwarded-for": SPELLINGS[spelling](n)},
        ).status
        for n in range(SENT)
    ]
    admitted = sum(1 for status in statuses if status != 429)
    record_figure(f"rate limit {LIMIT}, X-Forwarded-For {spelling}: admitted of {SENT}", admitted)

    assert admitted == LIMIT, statuses
