"""The contract proven from the consumer's side: a typed client made from the served document.

openapi-typescript writes the types from a running preset's `/openapi.json`; the client is the
generated README's own example (openapi-fetch), typechecked with the project's TypeScript and run
against the service: create, read, list and a 404 problem. A second file misuses the API on
purpose and must fail to typecheck line by line, so the types are shown to constrain the calls.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.generated import (
    REAL_NODE,
    InstalledPreset,
    installed_preset,
    node_environment,
    preset_service,
    record_figure,
    run,
)
from tests.openapi_tools import npm_tools

pytestmark = pytest.mark.slow

OPENAPI_TYPESCRIPT = "openapi-typescript@7.13.0"
OPENAPI_FETCH = "openapi-fetch@0.17.0"

# Each call is wrong in one way the document rules out; tsc must report every one of them.
MISUSE = """
import createClient from 'openapi-fetch';

import type { paths } from './orders-api.js';

const api = createClient<paths>({ baseUrl: 'http://127.0.0.1:1' });

// @ts-expect-error: a new order needs its items
await api.POST('/orders', { body: { customerId: 'c-1' } });
// @ts-expect-error: quantities are numbers
await api.POST('/orders', { body: { customerId: 'c-1', items: [{ sku: 'a', quantity: '2' }] } });
// @ts-expect-error: the path parameter is required
await api.GET('/orders/{id}', {});
// @ts-expect-error: no such route
await api.GET('/order');

const { data, error } = await api.GET('/orders/{id}', { params: { path: { id: 'x' } } });
// @ts-expect-error: an order has no total
console.log(data?.total);
const status: 'pending' | 'confirmed' | 'cancelled' | undefined = data?.status;
const problemStatus: number | undefined = error?.status;
console.log(status, problemStatus);
"""

TSCONFIG = {
    "compilerOptions": {
        "target": "es2023",
        "module": "nodenext",
        "moduleResolution": "nodenext",
        "strict": True,
        "noEmit": True,
        "skipLibCheck": True,
        "types": ["node"],
        "verbatimModuleSyntax": True,
    },
    "include": ["*.ts"],
}


@dataclass(frozen=True)
class Consumer:
    """A consumer's project: openapi-fetch, the service's TypeScript, the tools' entry points."""

    path: Path
    generator: Path
    tsc: Path

    def generate_types(self, document_url: str) -> subprocess.CompletedProcess[str]:
        """openapi-typescript: the served document's types, written to orders-api.ts."""
        return run(
            self.path, str(REAL_NODE), str(self.generator), document_url, "-o", "orders-api.ts"
        )

    def typecheck(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(REAL_NODE), str(self.tsc), "-p", "tsconfig.json"],
            cwd=self.path,
            env=node_environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def consumer_project(installed: InstalledPreset, directory: Path) -> Consumer:
    """An empty consumer project, typechecking with the TypeScript the service itself uses."""
    dev = json.loads((installed.path / "package.json").read_text(encoding="utf-8"))[
        "devDependencies"
    ]
    generator = npm_tools("openapi-typescript", [OPENAPI_TYPESCRIPT])
    packages = npm_tools(
        "openapi-fetch-consumer",
        [OPENAPI_FETCH, f"typescript@{dev['typescript']}", f"@types/node@{dev['@types/node']}"],
    )
    directory.mkdir()
    (directory / "node_modules").symlink_to(packages / "node_modules", target_is_directory=True)
    (directory / "package.json").write_text('{"private": true, "type": "module"}\n')
    (directory / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2), encoding="utf-8")
    return Consumer(
        path=directory,
        generator=generator / "node_modules" / "openapi-typescript" / "bin" / "cli.js",
        tsc=packages / "node_modules" / "typescript" / "bin" / "tsc",
    )


def readme_client(project: Path) -> str:
    """The TypeScript example of the README's 'Consume the API' section."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Consume the API\n", 1)[1].split("\n## ", 1)[0]
    blocks: list[str] = re.findall(r"```ts\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "the section shows one TypeScript example"
    return blocks[0]


@pytest.mark.parametrize("preset", ["minimal", "api"])
def test_a_client_typed_from_the_served_document_creates_reads_lists_and_gets_a_problem(
    preset: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    installed = installed_preset(preset, tmp_path_factory)
    consumer = consumer_project(installed, tmp_path / "consumer")
    example = readme_client(installed.path)
    port = installed.answers.get("http_port", 3000)

    with preset_service(installed, label=f"typed-client-{preset}") as booted:
        base_url = f"http://127.0.0.1:{booted.service.port}"
        generated = consumer.generate_types(f"{base_url}/openapi.json")
        client = example.replace(f"http://localhost:{port}", base_url)
        (consumer.path / "client.ts").write_text(client, encoding="utf-8")
        (consumer.path / "misuse.ts").write_text(MISUSE, encoding="utf-8")
        typecheck = consumer.typecheck()
        token = booted.headers.get("authorization", "").removeprefix("Bearer ")
        called = subprocess.run(
            [str(REAL_NODE), "client.ts"],
            cwd=consumer.path,
            env=node_environment({"API_TOKEN": token}),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    output = called.stdout.strip()
    record_figure(f"{preset}: typed client", " | ".join(output.splitlines()))
    assert typecheck.returncode == 0, typecheck.stdout + typecheck.stderr
    assert called.returncode == 0, called.stdout + called.stderr
    assert "orders-api.ts" in generated.stdout + generated.stderr
    lines = output.splitlines()
    assert re.fullmatch(r"created [0-9a-f-]{36}: 201, pending", lines[0]), output
    assert lines[1] == "read back: c-42, 1 item(s)", output
    assert re.fullmatch(r"listed: [1-9]\d* order\(s\)", lines[2]), output
    assert lines[3] == "unknown id: 404 Not Found", output


def test_when_a_call_does_not_match_the_document_then_the_consumer_fails_to_typecheck(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """The misuse file is only proof if tsc reports each line: without the markers it fails."""
    installed = installed_preset("minimal", tmp_path_factory)
    consumer = consumer_project(installed, tmp_path / "consumer")
    with preset_service(installed, label="typed-client-misuse") as booted:
        consumer.generate_types(f"http://127.0.0.1:{booted.service.port}/openapi.json")
    unmarked = [line for line in MISUSE.splitlines() if not line.startswith("// @ts-expect-error")]
    (consumer.path / "misuse.ts").write_text("\n".join(unmarked), encoding="utf-8")

    checked = consumer.typecheck()

    failing_lines = {
        match.group(1)
        for match in re.finditer(r"misuse\.ts\((\d+),\d+\): error TS", checked.stdout)
    }
    assert checked.returncode != 0
    assert len(failing_lines) == MISUSE.count("@ts-expect-error"), checked.stdout
