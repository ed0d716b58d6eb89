"""Where the copier template lives: inside the installed package, or the source checkout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class TemplateSource:
    """The copier template root (holds copier.yml) and the directory of preset answer files."""

    root: Path
    presets_dir: Path

    @property
    def copier_yml(self) -> Path:
        """The questionnaire file."""
        return self.root / "copier.yml"

    @property
    def is_git_repository(self) -> bool:
        """Whether the template root is a git checkout (copier then renders from git)."""
        return (self.root / ".git").exists()


def find_template_source() -> TemplateSource:
    """Locate the template shipped in the wheel, falling back to the source checkout."""
    bundled = _PACKAGE_DIR / "_template"
    if (bundled / "copier.yml").is_file():
        return TemplateSource(root=bundled, presets_dir=bundled / "presets")
    checkout = _PACKAGE_DIR.parents[1]
    if (checkout / "copier.yml").is_file():
        return TemplateSource(root=checkout, presets_dir=checkout / "examples" / "presets")
    msg = f"scaffold is installed without its template (looked in {bundled} and {checkout})"
    raise RuntimeError(msg)
