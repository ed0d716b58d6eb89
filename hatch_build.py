"""Build hook: ship the template's release history inside the wheel.

`scaffold update` needs the template version a project was generated from (to compute what the
user changed) and the new one. The wheel carries both as a git bundle of the repository's
history (HEAD and every tag), so updates work offline, from any machine, with no checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE_TARGET = "scaffold/_template/template.bundle"


class TemplateHistoryHook(BuildHookInterface):  # type: ignore[type-arg]
    """Create template.bundle from the git checkout being built, when there is one."""

    PLUGIN_NAME = "template-history"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Add the bundle to the wheel (not to editable installs, which use the checkout)."""
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        git = shutil.which("git")
        if git is None or not (root / ".git").exists():
            self.app.display_warning("no git checkout: the wheel cannot update projects")
            return
        self._workdir = Path(tempfile.mkdtemp(prefix="scaffold-bundle-"))
        bundle = self._workdir / "template.bundle"
        subprocess.run(
            [git, "bundle", "create", "--quiet", str(bundle), "HEAD", "--tags"],
            cwd=root,
            check=True,
            capture_output=True,
        )
        build_data["force_include"][str(bundle)] = BUNDLE_TARGET

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary bundle."""
        workdir = getattr(self, "_workdir", None)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
