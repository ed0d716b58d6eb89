"""`scaffold update` under real use: monorepos, atomic failures, which template, clear errors.

Each test builds its own template history (see update_helpers) and says the behaviour it holds.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from scaffold.errors import (
    DirtyTreeError,
    NotInRepositoryError,
    ScaffoldError,
    TemplateVersionError,
)
from scaffold.resources import add_resource
from scaffold.template_source import PUBLISHED_BUNDLE, TemplateSource
from scaffold.update import update_project
from scaffold.update_followups import kept_feature_migrations, sync_lockfile
from scaffold.update_workspace import backout_command
from tests.conftest import REPO_ROOT, RunCli
from tests.update_helpers import (
    commit_all,
    generate,
    generate_in_monorepo,
    git,
    make_template_repo,
    release,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def template_repo(tmp_path: Path) -> TemplateSource:
    return make_template_repo(tmp_path / "template-repo")


def status(cwd: Path) -> str:
    return git(cwd, "status", "--porcelain", "--untracked-files=all")


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


# 1. Monorepos


def test_when_the_project_is_in_a_subdirectory_of_a_repository_then_update_works_there(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    monorepo = tmp_path / "company"
    project = generate_in_monorepo(template_repo, monorepo, "services/orders")  # with compose
    compose = project / "compose.yaml"
    compose.write_text(compose.read_text() + "# our own override\n")
    git(monorepo, "commit", "--quiet", "-am", "Edit compose")
    (monorepo / "other-team-notes.txt").write_text("untracked, elsewhere in the repository\n")

    result = update_project(project, answers={"deploy": ["kubernetes"]}, source=template_repo)

    assert result.conflicts == []
    assert result.kept == ["compose.yaml"]
    assert compose.read_text().endswith("# our own override\n")
    assert ".copier-answers.yml" in result.changed
    assert all(not path.startswith("services/") for path in result.changed)
    elsewhere = [line for line in status(monorepo).splitlines() if "services/orders/" not in line]
    assert elsewhere == ["?? other-team-notes.txt"]
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["deploy"] == ["kubernetes"]


def test_when_the_project_is_in_a_monorepo_then_pretend_works_and_changes_nothing(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    monorepo = tmp_path / "company"
    project = generate_in_monorepo(template_repo, monorepo, "services/orders")
    (template_repo.root / "template" / "docs" / "new-in-v2.md").write_text("# New\n")
    release(template_repo.root, "v2.0.0")
    before = snapshot(monorepo)

    result = update_project(project, pretend=True, source=template_repo)

    assert result.pretend
    assert result.to_version == "v2.0.0"
    assert "docs/new-in-v2.md" in result.changed
    assert snapshot(monorepo) == before
    assert status(monorepo) == ""


def test_when_only_another_part_of_the_monorepo_is_dirty_then_update_and_add_resource_run(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    monorepo = tmp_path / "company"
    project = generate_in_monorepo(template_repo, monorepo, "services/orders")
    (monorepo / "README.md").write_text("# Company monorepo\n\nEdited, not committed.\n")
    (monorepo / "scratch.txt").write_text("untracked\n")
    (template_repo.root / "template" / "docs" / "new-in-v2.md").write_text("# New\n")
    release(template_repo.root, "v2.0.0")

    updated = update_project(project, source=template_repo)
    commit_all(project, "Update to v2")
    added = add_resource(project, "customers")

    assert updated.changed == [".copier-answers.yml", "docs/new-in-v2.md"]
    assert "src/routes/customer-routes.ts" in added.created or added.created
    assert (monorepo / "scratch.txt").is_file()


def test_when_the_projects_own_subtree_is_dirty_then_update_and_add_resource_refuse_alike(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    monorepo = tmp_path / "company"
    project = generate_in_monorepo(template_repo, monorepo, "services/orders")
    (project / "notes.txt").write_text("untracked, inside the project\n")

    with pytest.raises(DirtyTreeError, match="1 uncommitted change") as on_update:
        update_project(project, source=template_repo)
    with pytest.raises(DirtyTreeError, match="1 uncommitted change") as on_add:
        add_resource(project, "customers")

    assert "notes.txt" in str(on_update.value)
    assert "git stash push --include-untracked -- ." in str(on_add.value)
    assert not (project / "src" / "routes" / "customer-routes.ts").exists()


def test_when_an_update_fails_midway_then_the_subtree_is_exactly_as_before(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    monorepo = tmp_path / "company"
    project = generate_in_monorepo(template_repo, monorepo, "services/orders")
    (project / ".env").write_text("LOG_LEVEL=debug\n")  # git-ignored, the developer's own
    repo = template_repo.root
    failing = (
        "_migrations:\n"
        "  - version: v2.0.0\n"
        "    when: \"{{ _stage == 'after' }}\"\n"
        "    command: sh -c 'echo broken >> .env; exit 3'\n"
    )
    config = (repo / "copier.yml").read_text()
    (repo / "copier.yml").write_text(config.replace("# ─── Questions", failing + "# ─── Questions"))
    (repo / "template" / "docs" / "new-in-v2.md").write_text("# New\n")
    (repo / "template" / "docs" / "team-notes.md").unlink()
    release(repo, "v2.0.0")
    before = snapshot(monorepo)

    with pytest.raises(ScaffoldError):
        update_project(project, answers={"deploy": ["kubernetes"]}, source=template_repo)

    assert status(monorepo) == ""
    assert git(monorepo, "diff", "--cached", "--name-only") == ""
    assert snapshot(monorepo) == before


def test_without_git_update_and_add_resource_refuse_alike_and_write_nothing(
    tmp_path: Path,
) -> None:
    from scaffold.render import render_project

    project = tmp_path / "plain"
    render_project(project, answers={"project_name": "Orders"})
    before = snapshot(project)

    with pytest.raises(NotInRepositoryError, match="not in a git repository") as on_update:
        update_project(project)
    with pytest.raises(NotInRepositoryError, match="not in a git repository") as on_add:
        add_resource(project, "customers")

    assert str(on_update.value).replace("scaffold update", "COMMAND") == str(on_add.value).replace(
        "scaffold add resource", "COMMAND"
    )
    assert snapshot(project) == before


# 6. Which template


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of its own, where the installed scaffold publishes its template history."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def _installed_source(repo: Path, workdir: Path) -> TemplateSource:
    """The source an installed wheel has: the template folder and a bundle of the history."""
    workdir.mkdir()
    bundle = workdir / "template.bundle"
    git(repo, "bundle", "create", "--quiet", str(bundle), "HEAD", "--tags")
    return TemplateSource(root=repo, presets_dir=repo / "examples" / "presets", bundle=bundle)


def test_when_the_project_recorded_an_old_checkout_then_update_uses_the_installed_template(
    template_repo: TemplateSource, tmp_path: Path, installed: Path
) -> None:
    checkout = tmp_path / "old-checkout"
    git(tmp_path, "clone", "--quiet", str(template_repo.root), str(checkout))
    old = TemplateSource(root=checkout, presets_dir=checkout / "examples" / "presets")
    project = generate(old, tmp_path / "project")
    repo = template_repo.root
    (repo / "template" / "docs" / "new-in-v2.md").write_text("# New\n")
    release(repo, "v2.0.0")
    source = _installed_source(repo, tmp_path / "wheel")

    stays = update_project(project, source=source, recorded_source=True)
    result = update_project(project, source=source)

    assert stays.up_to_date
    assert stays.to_version == "v1.0.0"
    assert (result.from_version, result.to_version) == ("v1.0.0", "v2.0.0")
    assert result.source_note is not None
    assert str(checkout) in result.source_note
    assert "--recorded-source" in result.source_note
    assert (project / "docs" / "new-in-v2.md").is_file()
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == PUBLISHED_BUNDLE
    assert status(project) == " M .copier-answers.yml\n?? docs/new-in-v2.md\n"


# 7. Errors that say what happened


def test_when_the_project_comes_from_a_newer_scaffold_then_the_fix_is_to_upgrade(
    template_repo: TemplateSource, tmp_path: Path, installed: Path
) -> None:
    newer = tmp_path / "newer"
    git(tmp_path, "clone", "--quiet", str(template_repo.root), str(newer))
    (newer / "template" / "docs" / "new.md").write_text("# New\n")
    release(newer, "v2.0.0")
    project = generate(
        TemplateSource(root=newer, presets_dir=newer / "examples" / "presets"),
        tmp_path / "project",
    )

    with pytest.raises(TemplateVersionError, match="generated by a newer scaffold") as raised:
        update_project(project, source=_installed_source(template_repo.root, tmp_path / "w"))

    assert "pip install --upgrade scaffold" in str(raised.value)


def test_when_the_vcs_ref_is_unknown_then_the_versions_that_exist_are_listed(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "project")

    unknown = r"Unknown template version 'v9\.9\.9'"
    with pytest.raises(TemplateVersionError, match=unknown) as raised:
        update_project(project, vcs_ref="v9.9.9", source=template_repo)

    assert "Versions that exist: v1.0.0" in str(raised.value)


def test_when_the_recorded_commit_is_not_in_the_history_then_it_says_so(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    fork = tmp_path / "fork"
    git(tmp_path, "clone", "--quiet", str(template_repo.root), str(fork))
    (fork / "template" / "docs" / "fork-only.md").write_text("# Fork\n")
    git(fork, "add", "--all")
    git(fork, "commit", "--quiet", "-m", "A change only the fork has")
    project = generate(
        TemplateSource(root=fork, presets_dir=fork / "examples" / "presets"), tmp_path / "p"
    )
    (template_repo.root / "template" / "docs" / "v2.md").write_text("# v2\n")
    release(template_repo.root, "v2.0.0")

    with pytest.raises(TemplateVersionError, match="history does not have") as raised:
        update_project(project, source=template_repo)

    message = str(raised.value)
    assert "v1.0.0-1-g" in message
    assert "Versions that exist: v1.0.0, v2.0.0" in message
    assert "--recorded-source" in message


def test_the_cli_says_a_missing_path_does_not_exist(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(["update", str(tmp_path / "nowhere"), "--defaults"])

    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "not generated by scaffold" not in result.output


# 9. Small ones


@pytest.fixture
def as_installed_template(
    template_repo: TemplateSource, monkeypatch: pytest.MonkeyPatch
) -> TemplateSource:
    """The CLI renders and updates from the temporary template history."""
    monkeypatch.setenv("SCAFFOLD_TEMPLATE", str(template_repo.root))
    return template_repo


def _conflicting_v2(project: Path, repo: Path) -> None:
    notes = project / "docs" / "team-notes.md"
    notes.write_text("# Team notes\n\nOn-call: Alice\n")
    commit_all(project, "Name the on-call")
    (repo / "template" / "docs" / "team-notes.md").write_text("# Team notes\n\nOn-call: see PD\n")
    (repo / "template" / "docs" / "new-in-v2.md").write_text("# New\n")
    release(repo, "v2.0.0")


def test_pretend_exits_0_on_a_dirty_tree_and_says_conflicts_would_happen(
    as_installed_template: TemplateSource, run_cli: RunCli, tmp_path: Path
) -> None:
    project = generate(as_installed_template, tmp_path / "project")
    _conflicting_v2(project, as_installed_template.root)
    (project / "scratch.txt").write_text("uncommitted\n")
    before = snapshot(project)

    result = run_cli(["update", str(project), "--pretend", "--defaults"])

    assert result.exit_code == 0, result.output
    assert "would conflict docs/team-notes.md" in result.output
    assert "Nothing was changed (--pretend)" in result.output
    assert "markers" not in result.output
    assert snapshot(project) == before


def test_after_a_conflicted_update_the_output_says_how_to_back_out_and_it_works(
    as_installed_template: TemplateSource, run_cli: RunCli, tmp_path: Path
) -> None:
    project = generate(as_installed_template, tmp_path / "project")
    _conflicting_v2(project, as_installed_template.root)

    result = run_cli(["update", str(project), "--defaults"])

    assert result.exit_code == 1
    assert "conflict docs/team-notes.md" in result.output
    assert "docs/new-in-v2.md (new)" in result.output
    assert "1 new file(s) are untracked: `git add -A` them" in result.output
    panel = " ".join(result.output.replace("│", " ").split())
    assert (
        "The template also changed these files in this update; code it moved out of a "
        "conflicted file is in one of them: docs/new-in-v2.md"
    ) in panel
    backout = backout_command(project)
    assert f"To back out of the whole update instead: {backout}" in result.output
    subprocess.run(backout, shell=True, check=True, cwd=tmp_path)
    assert status(project) == ""


def test_with_nothing_to_change_the_update_says_already_up_to_date(
    as_installed_template: TemplateSource, run_cli: RunCli, tmp_path: Path
) -> None:
    project = generate(as_installed_template, tmp_path / "project")

    result = run_cli(["update", str(project), "--defaults"])

    assert result.exit_code == 0
    assert "Template v1.0.0 → v1.0.0: already up to date" in result.output
    assert status(project) == ""


def test_a_kept_compose_file_is_said_to_mount_files_that_were_removed(
    as_installed_template: TemplateSource, run_cli: RunCli, tmp_path: Path
) -> None:
    project = generate(
        as_installed_template, tmp_path / "project", observability=["metrics"], deploy=["compose"]
    )
    compose = project / "compose.yaml"
    compose.write_text(compose.read_text() + "# ours\n")
    commit_all(project, "Edit compose")

    result = run_cli(
        ["update", str(project), "--defaults", "--data", "deploy=[]", "--data", "observability=[]"]
    )

    assert result.exit_code == 0, result.output
    assert "kept compose.yaml" in result.output
    assert "deploy/observability/prometheus.yml (removed)" in result.output
    assert "compose.yaml still mounts files that were removed: ./deploy/observability/" in (
        result.output
    )


# 5. Lockfile


def test_when_package_json_changes_the_lockfile_is_refreshed(
    template_repo: TemplateSource, tmp_path: Path
) -> None:
    from tests.generated import run

    project = generate(template_repo, tmp_path / "project")
    run(project, "npm", "install", "--package-lock-only", "--no-audit", "--no-fund")
    commit_all(project, "Lock")

    result = update_project(project, answers={"cache": "redis"}, source=template_repo)

    assert result.lockfile is not None
    assert result.lockfile.refreshed
    assert "package-lock.json" in result.changed
    assert '"node_modules/ioredis"' in (project / "package-lock.json").read_text()


def test_without_npm_the_exact_command_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "orders"
    project.mkdir()
    (project / "package-lock.json").write_text("{}\n")
    monkeypatch.setattr("scaffold.update_followups._find_npm", lambda: None)

    lockfile = sync_lockfile(project)
    missing = sync_lockfile(tmp_path)

    assert not lockfile.refreshed
    assert lockfile.todo == f"cd {project} && npm install"
    assert missing.todo == f"cd {tmp_path} && npm install"
    assert "no package-lock.json" in missing.reason


def test_the_readme_says_what_plain_copier_update_can_and_cannot_do() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("### Updating a generated project") :]
    section = section[: section.index("\n### ", 10)]

    assert "plain `copier update`" in section
    assert "cannot" in section


def test_when_an_update_drops_the_queue_then_it_reports_the_outbox_migration_it_keeps() -> None:
    before = {"database": "postgres", "queue": "bullmq", "outbox_migration": True}
    after = {"database": "postgres", "queue": "none", "outbox_migration": True}

    assert kept_feature_migrations(before, after) == ["migrations/0002_outbox_messages.sql"]
    assert kept_feature_migrations(after, after) == []
    assert kept_feature_migrations(before, {**after, "queue": "rabbitmq"}) == []
