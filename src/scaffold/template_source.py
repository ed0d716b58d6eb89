"""Where the copier template lives, and what copier renders from.

Three cases:
- an installed wheel: the template folder (for reading the questions) and `template.bundle`, a git
  bundle of the template's release history. Copier renders from the bundle, published at a path
  that is the same on every machine (`~/.cache/scaffold/template.bundle`), so the `_src_path` and
  `_commit` recorded in a project let any later scaffold update it, offline;
- the source checkout (development): copier renders from the git working tree;
- a wheel built without git history: a plain folder (projects render but cannot be updated).

Template developers can point scaffold at another template root (a folder holding copier.yml and
template/) with the SCAFFOLD_TEMPLATE environment variable.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import ScaffoldError

_PACKAGE_DIR = Path(__file__).resolve().parent
PUBLISHED_BUNDLE = "~/.cache/scaffold/template.bundle"


@dataclass(frozen=True)
class TemplateSource:
    """The copier template root (holds copier.yml), presets, and the release history if any."""

    root: Path
    presets_dir: Path
    bundle: Path | None = None

    @property
    def copier_yml(self) -> Path:
        """The questionnaire file."""
        return self.root / "copier.yml"

    @property
    def resource_templates(self) -> Path:
        """The templates of `scaffold add resource` (files/ and wiring.jinja)."""
        return self.root / "resource"

    @property
    def is_git_repository(self) -> bool:
        """Whether the template root is a git checkout (copier then renders from git)."""
        return (self.root / ".git").exists()

    def copier_source(self) -> tuple[str, str | None]:
        """The `src_path` and `vcs_ref` copier renders this version of the template from."""
        if self.bundle is not None:
            return publish_bundle(self.bundle), "HEAD"
        if self.is_git_repository:
            return str(self.root), "HEAD"
        return str(self.root), None


def find_template_source() -> TemplateSource:
    """Locate the template: SCAFFOLD_TEMPLATE, the one shipped in the wheel, or the checkout."""
    override = os.environ.get("SCAFFOLD_TEMPLATE")
    if override:
        root = Path(override).expanduser().resolve()
        if not (root / "copier.yml").is_file():
            msg = f"SCAFFOLD_TEMPLATE={override} has no copier.yml: point it at a template root."
            raise ScaffoldError(msg)
        presets = root / "examples" / "presets"
        return TemplateSource(
            root=root, presets_dir=presets if presets.is_dir() else root / "presets"
        )
    bundled = _PACKAGE_DIR / "_template"
    if (bundled / "copier.yml").is_file():
        history = bundled / "template.bundle"
        return TemplateSource(
            root=bundled,
            presets_dir=bundled / "presets",
            bundle=history if history.is_file() else None,
        )
    checkout = _PACKAGE_DIR.parents[1]
    if (checkout / "copier.yml").is_file():
        return TemplateSource(root=checkout, presets_dir=checkout / "examples" / "presets")
    msg = f"scaffold is installed without its template (looked in {bundled} and {checkout})"
    raise RuntimeError(msg)


def publish_bundle(bundle: Path) -> str:
    """Copy the release history to its machine-independent path; return that path as written."""
    target = Path(PUBLISHED_BUNDLE).expanduser()
    try:
        if target.is_file() and filecmp.cmp(bundle, target, shallow=False):
            return PUBLISHED_BUNDLE
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.{os.getpid()}")
        shutil.copyfile(bundle, staging)
        staging.replace(target)  # atomic: a concurrent reader sees the old or the new bundle
    except OSError as error:
        msg = (
            f"Cannot write the template history to {target}: {error.strerror or error}. "
            "Make sure your home directory is writable (or set HOME)."
        )
        raise ScaffoldError(msg) from error
    return PUBLISHED_BUNDLE
