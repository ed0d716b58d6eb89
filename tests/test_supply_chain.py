"""Supply chain and container: audited dependencies, a non-root image, no secrets in the output.

The audit needs installed presets and the registry (slow); the Dockerfile and secret checks need
only renders of every preset (fast).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from scaffold.presets import list_presets
from scaffold.render import render_project
from tests.conftest import REPO_ROOT
from tests.generated import VENV_BIN, installed_preset, node_environment, record_figure

PRESETS = sorted(preset.name for preset in list_presets(REPO_ROOT / "examples" / "presets"))

# High-signal shapes only: a hit is a real finding, not a style question.
SECRET_SHAPES = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "JWT": re.compile(r"\beyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}"),
    "Slack/GitHub token": re.compile(r"\b(?:xox[abprs]-[\w-]{10,}|gh[pousr]_\w{30,})"),
}
# `password = "…"`, `secret: '…'` (a quoted literal) or an env/properties line `API_TOKEN=…`.
ASSIGNED_SECRET = (
    re.compile(
        r"""(?i)\b[\w.-]*(?:password|passwd|secret|api[_-]?key|access[_-]?key|token)["']?"""
        r"""\s*[:=]\s*["'](?P<value>[^"'\s]+)["']"""
    ),
    re.compile(
        r"(?im)^\s*(?:export\s+)?\w*(?:password|passwd|secret|api_?key|access_?key|token)\w*"
        r"\s*=\s*(?P<value>[^\s#]+)"
    ),
)
# What a template may ship as a value: empty, a reference, a placeholder or a local dev default.
PLACEHOLDER = re.compile(
    r"""(?ix)^(?:
      \$\{?[\w:-]*\}?.* | \$\(.*\) | <[^>]*> | \{\{.*\}\} | %\w+% |
      (?:change[-_]?me|replace[-_]?me|placeholder|example|dummy|redacted|xxx+)[\w-]* |
      hunter2 | secret-token |
      app | postgres | guest | dev | test | local | secret | password | true | false | null |
      undefined | string | optional | required | process\.env\.\w+ | config\.[\w.]+ |
      [a-z_]+\.[a-z_.]+ | [a-z]+\(.*
    )$"""
)
# Local development URLs may carry these throwaway credentials.
LOCAL_CREDENTIALS = re.compile(r"://(?P<user>[^:@/\s]+):(?P<password>[^@/\s]+)@(?P<host>[\w.-]+)")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "postgres", "redis", "rabbitmq", "db"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every preset rendered once, without installing anything."""
    import yaml

    root = tmp_path_factory.mktemp("supply-chain")
    projects = {}
    for name in PRESETS:
        path = REPO_ROOT / "examples" / "presets" / f"{name}.yml"
        answers = yaml.safe_load(path.read_text(encoding="utf-8"))
        projects[name] = render_project(root / name, answers=answers).destination
    return projects


def secret_findings(project: Path) -> list[str]:
    findings = []
    for path in sorted(project.rglob("*")):
        if not path.is_file() or path.name == "package-lock.json":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(project)
        for kind, shape in SECRET_SHAPES.items():
            findings += [f"{where}: {kind} {m.group(0)[:40]!r}" for m in shape.finditer(text)]
        for shape in ASSIGNED_SECRET:
            findings += [
                f"{where}: assigned secret {match.group(0)!r}"
                for match in shape.finditer(text)
                if not PLACEHOLDER.match(match["value"])
            ]
        for match in LOCAL_CREDENTIALS.finditer(text):
            if match["host"] not in LOCAL_HOSTS:
                findings.append(f"{where}: credentials for {match['host']} {match.group(0)!r}")
    return findings


@pytest.mark.parametrize("preset", PRESETS)
def test_no_rendered_file_holds_a_secret_looking_value(
    rendered: dict[str, Path], preset: str
) -> None:
    assert secret_findings(rendered[preset]) == []


def test_the_secret_scan_recognises_what_it_looks_for(tmp_path: Path) -> None:
    key_header = "-----BEGIN RSA " + "PRIVATE KEY-----"
    (tmp_path / ".env").write_text(
        "DATABASE_PASSWORD=hunter2hunter2\n"
        "AWS_ACCESS_KEY_ID=AKIA" + "ABCDEFGHIJKLMNOP\n"
        "DATABASE_URL=postgres://app:s3cr3t@db.prod.example.com/app\n"
        f"{key_header}\n",
        encoding="utf-8",
    )
    (tmp_path / "ok.env").write_text(
        "DATABASE_PASSWORD=change-me\nDATABASE_URL=postgres://app:app@localhost:5432/app\n",
        encoding="utf-8",
    )

    findings = secret_findings(tmp_path)

    assert all(finding.startswith(".env:") for finding in findings), findings
    for expected in (
        "DATABASE_PASSWORD",
        "AWS access key id",
        "db.prod.example.com",
        "private key",
    ):
        assert any(expected in finding for finding in findings), (expected, findings)


@pytest.mark.parametrize("preset", PRESETS)
def test_env_example_holds_only_placeholders(rendered: dict[str, Path], preset: str) -> None:
    example = rendered[preset] / ".env.example"
    sensitive = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|(?<!JWT_PUBLIC_)KEY$|API_KEY")
    offending = []
    for line in example.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if line.startswith("#") or not value:
            continue
        if sensitive.search(key) and not PLACEHOLDER.match(value.strip("\"'")):
            offending.append(line)
        credentials = LOCAL_CREDENTIALS.search(value)
        if credentials and credentials["host"] not in LOCAL_HOSTS:
            offending.append(line)
    assert offending == []


@pytest.mark.parametrize("preset", PRESETS)
def test_the_image_runs_as_a_numeric_non_root_user_and_passes_hadolint(
    rendered: dict[str, Path], preset: str
) -> None:
    project = rendered[preset]
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    final_stage = re.split(r"(?im)^FROM\s", dockerfile)[-1]
    users = re.findall(r"(?im)^USER\s+(\S+)", final_stage)

    linted = subprocess.run(
        [str(VENV_BIN / "hadolint"), "Dockerfile"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert users, "the final stage never switches away from root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit()
    assert int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)
    assert linted.returncode == 0, linted.stdout + linted.stderr


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["minimal", "api"])
def test_npm_audit_finds_no_high_or_critical_advisory_in_production_dependencies(
    preset: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    installed = installed_preset(preset, tmp_path_factory)

    completed = subprocess.run(
        ["npm", "audit", "--omit=dev", "--audit-level=high", "--json"],
        cwd=installed.path,
        env=node_environment({"npm_config_audit": "true"}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    report = json.loads(completed.stdout)
    if "error" in report:
        # The registry's advisory endpoint refused or failed: no verdict either way.
        reason = report["error"].get("message") or report["error"]
        pytest.skip(f"npm audit could not query advisories: {reason}")
    counts = report["metadata"]["vulnerabilities"]
    record_figure(f"{preset}: npm audit --omit=dev", counts)
    advisories = {
        name: entry["severity"]
        for name, entry in report.get("vulnerabilities", {}).items()
        if entry["severity"] in {"high", "critical"}
    }
    assert advisories == {}
    assert completed.returncode == 0, completed.stdout[-3000:]
