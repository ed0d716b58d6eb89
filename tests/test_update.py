"""`scaffold update` keeps the user's edits while applying template changes (v1 → v2).

Each test builds its own template history: the real template copied into a temporary git
repository, tagged v1.0.0, changed, tagged v2.0.0, exactly how releases evolve it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scaffold.errors import ScaffoldError
from scaffold.template_source import TemplateSource
from scaffold.update import update_project
from tests.conftest import RunCli
from tests.update_helpers import commit_all, generate, git, make_template_repo, release

pytestmark = pytest.mark.slow


@pytest.fixture
def template_repo(tmp_path: Path) -> TemplateSource:
    return make_template_repo(tmp_path / "template-repo")


def test_user_edits_survive_and_template_changes_arrive(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "project")
    notes = project / "docs" / "team-notes.md"
    notes.write_text(notes.read_text() + "\nEscalation: #orders-oncall\n")
    (project / "src" / "my-own-module.ts").write_text("export const mine = 1;\n")
    editorconfig = project / ".editorconfig"
    editorconfig.write_text(editorconfig.read_text() + "\n[*.sql]\nindent_size = 4\n")
    commit_all(project, "Team edits")
    repo = template_repo.root
    template_notes = repo / "template" / "docs" / "team-notes.md"
    template_notes.write_text("# Team notes\n\nSee the runbook first.\n\nOn-call: TBD\n")
    (repo / "template" / "docs" / "new-in-v2.md").write_text("# New in v2\n")
    release(repo, "v2.0.0")

    result = update_project(project, source=template_repo)

    assert result.from_version == "v1.0.0"
    assert result.to_version == "v2.0.0"
    assert result.conflicts == []
    assert notes.read_text() == (
        "# Team notes\n\nSee the runbook first.\n\nOn-call: TBD\n\nEscalation: #orders-oncall\n"
    )
    assert (project / "src" / "my-own-module.ts").read_text() == "export const mine = 1;\n"
    assert editorconfig.read_text().endswith("[*.sql]\nindent_size = 4\n")
    assert (project / "docs" / "new-in-v2.md").read_text() == "# New in v2\n"


def test_a_conflicting_edit_is_marked_inline_and_reported(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "project")
    notes = project / "docs" / "team-notes.md"
    notes.write_text("# Team notes\n\nOn-call: Alice\n")
    commit_all(project, "Name the on-call")
    template_notes = template_repo.root / "template" / "docs" / "team-notes.md"
    template_notes.write_text("# Team notes\n\nOn-call: see PagerDuty\n")
    release(template_repo.root, "v2.0.0")

    result = update_project(project, source=template_repo)

    assert result.conflicts == ["docs/team-notes.md"]
    text = notes.read_text()
    assert "<<<<<<< before updating" in text
    assert "On-call: Alice" in text
    assert "On-call: see PagerDuty" in text


def test_a_file_the_user_deleted_stays_deleted(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "project")
    (project / "docs" / "team-notes.md").unlink()
    commit_all(project, "We keep notes elsewhere")
    (template_repo.root / "template" / "docs" / "new-in-v2.md").write_text("# New\n")
    release(template_repo.root, "v2.0.0")

    result = update_project(project, source=template_repo)

    assert result.conflicts == []
    assert not (project / "docs" / "team-notes.md").exists()
    assert (project / "docs" / "new-in-v2.md").exists()


def test_changing_an_answer_adds_the_files_for_it_and_keeps_user_code(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "project", deploy=["kubernetes"])
    (project / "src" / "my-own-module.ts").write_text("export const mine = 1;\n")
    commit_all(project, "My code")
    assert not list(project.rglob("worker-deployment.yaml"))

    result = update_project(project, answers={"queue": "bullmq"}, source=template_repo)

    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["queue"] == "bullmq"
    assert list(project.rglob("worker-deployment.yaml"))
    assert (project / "src" / "my-own-module.ts").read_text() == "export const mine = 1;\n"
    assert result.conflicts == []


def test_a_migration_runs_once_when_crossing_its_version(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "project")
    local_env = project / ".env"  # the developer's own, untracked configuration
    local_env.write_text("LEGACY_TIMEOUT=5000\n")
    repo = template_repo.root
    config = (repo / "copier.yml").read_text()
    migration = (
        "_migrations:\n"
        "  - version: v2.0.0\n"
        "    command: >-\n"
        "      sh -c 'test ! -f .env || { sed -i s/^LEGACY_TIMEOUT=/SHUTDOWN_TIMEOUT_MS=/ .env"
        ' && echo "# migrated to v2.0.0" >> .env; }\'\n'
    )
    (repo / "copier.yml").write_text(
        config.replace("# ─── Questions", migration + "# ─── Questions", 1)
    )
    release(repo, "v2.0.0")

    update_project(project, source=template_repo)
    commit_all(project, "Update to v2")
    (repo / "template" / "docs" / "later.md").write_text("# Later\n")
    release(repo, "v2.1.0")
    second = update_project(project, source=template_repo)

    assert local_env.read_text() == "SHUTDOWN_TIMEOUT_MS=5000\n# migrated to v2.0.0\n"
    assert second.to_version == "v2.1.0"
    assert (project / "docs" / "later.md").exists()


def test_an_edited_file_the_template_moved_is_kept_and_its_new_place_named(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "project")
    notes = project / "docs" / "team-notes.md"
    notes.write_text(notes.read_text() + "Escalation: #orders-oncall\n")
    commit_all(project, "Team edits")
    (template_repo.root / "template" / "docs" / "team").mkdir()
    git(template_repo.root, "mv", "template/docs/team-notes.md", "template/docs/team/team-notes.md")
    release(template_repo.root, "v2.0.0")

    result = update_project(project, source=template_repo)

    assert result.kept == ["docs/team-notes.md"]
    assert result.kept_moved_to == {"docs/team-notes.md": "docs/team/team-notes.md"}
    assert notes.read_text().endswith("Escalation: #orders-oncall\n")
    assert (project / "docs" / "team" / "team-notes.md").is_file()


def test_a_file_the_template_removed_is_kept_when_the_user_had_changed_it(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "project")
    notes = project / "docs" / "team-notes.md"
    notes.write_text(notes.read_text() + "Escalation: #orders-oncall\n")
    commit_all(project, "Team edits")
    editorconfig_before = (project / ".editorconfig").read_text()
    git(template_repo.root, "rm", "--quiet", "template/docs/team-notes.md")
    git(template_repo.root, "rm", "--quiet", "template/.editorconfig")
    release(template_repo.root, "v2.0.0")

    result = update_project(project, source=template_repo)

    assert result.kept == ["docs/team-notes.md"]
    assert notes.read_text().endswith("Escalation: #orders-oncall\n")
    assert editorconfig_before
    assert not (project / ".editorconfig").exists()


def test_a_dirty_tree_is_refused_with_what_to_do(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "project")
    (project / "scratch.txt").write_text("untracked")

    with pytest.raises(ScaffoldError, match="uncommitted change") as raised:
        update_project(project, source=template_repo)

    assert "git stash" in str(raised.value)


def test_a_downgrade_is_explained_and_not_done(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    (template_repo.root / "template" / "docs" / "new.md").write_text("# New\n")
    release(template_repo.root, "v2.0.0")
    project = generate(template_repo, tmp_path / "project")

    with pytest.raises(ScaffoldError, match="downgrades are not supported"):
        update_project(project, vcs_ref="v1.0.0", source=template_repo)

    assert (project / "docs" / "new.md").exists()


def test_pretend_reports_changes_without_touching_the_project(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "project")
    (template_repo.root / "template" / "docs" / "new-in-v2.md").write_text("# New\n")
    release(template_repo.root, "v2.0.0")

    result = update_project(project, pretend=True, source=template_repo)

    assert "docs/new-in-v2.md" in result.changed
    assert not (project / "docs" / "new-in-v2.md").exists()
    assert git(project, "status", "--porcelain") == ""


def test_the_cli_refuses_a_directory_that_was_not_generated(
    run_cli: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "plain").mkdir()

    result = run_cli(["update", str(tmp_path / "plain"), "--defaults"])

    assert result.exit_code == 1
    assert "was not generated by scaffold" in result.output
