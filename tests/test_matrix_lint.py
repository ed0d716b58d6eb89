"""Every render of the matrix passes its own `npm run lint`, imports sorted included.

The renders share one install of every package the matrix uses (as in test_openapi_lint), so
each costs a lint run, not an `npm install`. `scaffold add resource` must leave a project that
still passes: the resource's files and its line in `src/resources/registry.ts` are sorted by the
resource's name, so two names that sort on either side of the existing ones are added.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.resources import add_resource
from tests import test_openapi_lint as openapi_lint
from tests.conftest import REPO_ROOT
from tests.generated import run
from tests.matrix import MATRIX, answer_id
from tests.update_helpers import commit_all, git

# The OpenAPI lint's renders and shared install, as fixtures of this module too.
template_source = openapi_lint.template_source
pristine_renders = openapi_lint.pristine_renders
shared_node_modules = openapi_lint.shared_node_modules
project_with_packages = openapi_lint.project_with_packages

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", [answer_id(answers) for answers in MATRIX])
def test_every_matrix_render_passes_its_own_lint(
    name: str, pristine_renders: dict[str, Path], shared_node_modules: Path, tmp_path: Path
) -> None:
    project = project_with_packages(pristine_renders[name], shared_node_modules, tmp_path / "p")

    run(project, "npm", "run", "lint", timeout=600)


@pytest.mark.parametrize("preset", ["minimal", "api"])
def test_when_resources_are_added_then_the_project_still_passes_its_own_lint(
    preset: str, pristine_renders: dict[str, Path], shared_node_modules: Path, tmp_path: Path
) -> None:
    project = project_with_packages(
        pristine_renders[f"preset-{preset}"], shared_node_modules, tmp_path / "p"
    )
    # `line-items` sorts before the registry's `./resource-module.js` import and `warehouses`
    # after it; their type names sort on either side of `New…` and `List…` too.
    git(project, "init", "--quiet")
    commit_all(project, "Generated project")  # add resource changes only committed projects
    for resource in ("line-items", "warehouses"):
        add_resource(project, resource, templates=REPO_ROOT / "resource")
        commit_all(project, f"Add {resource}")
    registry = (project / "src" / "resources" / "registry.ts").read_text(encoding="utf-8")
    assert "warehouseResource" in registry

    run(project, "npm", "run", "lint", timeout=600)
