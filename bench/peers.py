"""Install the peers from their public npm packages in a scratch directory."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from bench.build_stamp import inputs_digest, is_current, mark_current
from bench.node_env import CommandError, run_command
from bench.peer_sources import ALL_PEERS, PeerSource
from bench.targets import BuiltTarget, SkippedTarget

NPM_INSTALL_TIMEOUT_SECONDS = 600.0


def peer_by_name(names: Iterable[str]) -> list[PeerSource]:
    """The peers with these names, in the canonical order; unknown names are an error."""
    wanted = list(names)
    known = {peer.name for peer in ALL_PEERS}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        msg = f"unknown peer(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        raise ValueError(msg)
    return [peer for peer in ALL_PEERS if peer.name in wanted]


def build_peers(
    peers: Sequence[PeerSource], scratch: Path, node: Path
) -> tuple[list[BuiltTarget], list[SkippedTarget]]:
    """npm-install each group of peers once; a group that fails to install skips its peers."""
    built: list[BuiltTarget] = []
    skipped: list[SkippedTarget] = []
    for group in dict.fromkeys(peer.group for peer in peers):
        members = [peer for peer in peers if peer.group == group]
        directory = scratch / f"peers-{group}"
        try:
            _install_group(directory, members)
        except (CommandError, OSError) as error:
            skipped += [
                SkippedTarget(peer.name, f"npm install failed: {error}") for peer in members
            ]
            continue
        built += [_built_peer(peer, directory, node) for peer in members]
    return built, skipped


def _install_group(directory: Path, members: Sequence[PeerSource]) -> None:
    dependencies: dict[str, str] = {}
    for peer in members:
        dependencies.update(peer.dependencies)
    package_json = json.dumps(
        {
            "name": f"bench-peers-{members[0].group}",
            "private": True,
            "type": "module",
            "dependencies": dict(sorted(dependencies.items())),
        },
        indent=2,
    )
    digest = inputs_digest([package_json, *(peer.source for peer in members)])
    if is_current(directory, digest):
        return
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    (directory / "package.json").write_text(package_json + "\n", encoding="utf-8")
    for peer in members:
        (directory / f"{peer.name}.mjs").write_text(peer.source, encoding="utf-8")
    if dependencies:
        run_command(
            ["npm", "install", "--no-audit", "--no-fund", "--omit=dev"],
            cwd=directory,
            timeout=NPM_INSTALL_TIMEOUT_SECONDS,
        )
    mark_current(directory, digest)


def _built_peer(peer: PeerSource, directory: Path, node: Path) -> BuiltTarget:
    return BuiltTarget(
        name=peer.name,
        label=peer.label,
        kind="peer",
        directory=directory,
        command=(str(node), f"{peer.name}.mjs"),
        route="GET /",
        prepare_route=lambda _port: "/",
        ready_path="/",
        versions=installed_versions(directory, peer.dependencies),
    )


def installed_versions(directory: Path, packages: Iterable[str]) -> dict[str, str]:
    """The installed version of each package (read from node_modules)."""
    versions = {}
    for package in packages:
        manifest = directory / "node_modules" / package / "package.json"
        if manifest.is_file():
            versions[package] = str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    return versions
