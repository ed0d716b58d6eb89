"""Mint a bearer token for a preset with auth=jwt, using the project's own `jose` dependency."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench.node_env import run_command

_MINT_SCRIPT = """import { exportSPKI, generateKeyPair, SignJWT } from 'jose';

const [issuer, audience, algorithm] = process.argv.slice(2);
const { publicKey, privateKey } = await generateKeyPair(algorithm, { extractable: true });
const token = await new SignJWT({ scope: 'orders' })
  .setProtectedHeader({ alg: algorithm })
  .setIssuer(issuer)
  .setAudience(audience)
  .setSubject('bench')
  .setIssuedAt()
  .setExpirationTime('4h')
  .sign(privateKey);
process.stdout.write(JSON.stringify({ publicKey: await exportSPKI(publicKey), token }));
"""


@dataclass(frozen=True)
class MintedToken:
    """A token and the env a service needs to accept it."""

    token: str
    env: dict[str, str]


def mint_token(project: Path, node: Path, env_example: dict[str, str]) -> MintedToken:
    """Generate a key pair, sign a token for the project's issuer and audience (from .env.example).

    The service then verifies with JWT_PUBLIC_KEY (the JWKS URL is left unset).
    """
    issuer = env_example.get("JWT_ISSUER", "http://localhost:8080/realms/dev")
    audience = env_example.get("JWT_AUDIENCE", "bench")
    algorithm = env_example.get("JWT_ALGORITHMS", "RS256").split(",")[0].strip() or "RS256"
    script = project / ".bench-mint-token.mjs"
    script.write_text(_MINT_SCRIPT, encoding="utf-8")
    completed = run_command(
        [str(node), script.name, issuer, audience, algorithm], cwd=project, timeout=60
    )
    minted = json.loads(completed.stdout)
    return MintedToken(
        token=str(minted["token"]),
        env={
            "JWT_ISSUER": issuer,
            "JWT_AUDIENCE": audience,
            "JWT_ALGORITHMS": algorithm,
            "JWT_PUBLIC_KEY": str(minted["publicKey"]),
        },
    )


def read_env_example(project: Path) -> dict[str, str]:
    """KEY=VALUE pairs of the project's .env.example (comments and blanks skipped)."""
    path = project / ".env.example"
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and "=" in stripped:
            key, _, value = stripped.partition("=")
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values
