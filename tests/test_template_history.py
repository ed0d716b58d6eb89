"""The template's release history: versions named, compared, tagged and published (git only)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hatch_build import create_bundle

from scaffold.errors import DirtyTreeError
from scaffold.git_repo import subtree_changes
from scaffold.project import require_committed
from scaffold.template_history import open_history, release_version
from scaffold.template_source import PUBLISHED_BUNDLE, publish_bundle

IDENTITY = ["-c", "user.name=Dev", "-c", "user.email=dev@example.invalid"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def commit(repo: Path, name: str, text: str) -> str:
    (repo / name).write_text(text)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", f"Change {name}")
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    return repo


def test_a_recorded_version_is_a_release_and_the_commits_past_it() -> None:
    first, later, own = (
        release_version("v0.1.0"),
        release_version("v0.1.0-3-gabc1234"),
        release_version("abc1234"),
    )

    assert first is not None
    assert later is not None
    assert later > first
    assert own is None


def test_the_build_tags_every_version_pyproject_declared_at_the_commit_that_set_it(
    repo: Path, tmp_path: Path
) -> None:
    v1 = commit(repo, "pyproject.toml", '[project]\nname = "scaffold"\nversion = "0.1.0"\n')
    commit(repo, "notes.md", "later work on 0.1.0\n")
    v2 = commit(repo, "pyproject.toml", '[project]\nname = "scaffold"\nversion = "0.2.0"\n')
    head = commit(repo, "notes.md", "after 0.2.0\n")
    workdir = tmp_path / "build"
    workdir.mkdir()

    bundle = create_bundle(repo, workdir)

    heads = git(tmp_path, "bundle", "list-heads", str(bundle))
    assert f"{v1} refs/tags/v0.1.0" in heads
    assert f"{v2} refs/tags/v0.2.0" in heads
    assert f"{head} HEAD" in heads
    assert git(repo, "tag", "--list") == ""  # the repository itself is left alone
    with open_history(str(bundle)) as history:
        assert history.releases() == ["v0.1.0", "v0.2.0"]
        assert history.describe("HEAD").startswith("v0.2.0-1-g")


def test_a_release_tag_the_repository_has_is_kept(repo: Path, tmp_path: Path) -> None:
    commit(repo, "pyproject.toml", '[project]\nname = "scaffold"\nversion = "0.1.0"\n')
    released = commit(repo, "notes.md", "the release commit\n")
    git(repo, "tag", "v0.1.0")
    workdir = tmp_path / "build"
    workdir.mkdir()

    heads = git(tmp_path, "bundle", "list-heads", str(create_bundle(repo, workdir)))

    assert f"{released} refs/tags/v0.1.0" in heads


def test_publishing_an_older_history_keeps_what_a_newer_scaffold_published(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    commit(repo, "a.txt", "v1\n")
    git(repo, "tag", "v0.1.0")
    older = tmp_path / "older.bundle"
    git(repo, "bundle", "create", "--quiet", str(older), "HEAD", "--tags")
    newer_commit = commit(repo, "a.txt", "v2\n")
    git(repo, "tag", "v0.2.0")
    newer = tmp_path / "newer.bundle"
    git(repo, "bundle", "create", "--quiet", str(newer), "HEAD", "--tags")

    publish_bundle(newer)
    published = publish_bundle(older)

    heads = git(tmp_path, "bundle", "list-heads", str(Path(published).expanduser()))
    assert published == PUBLISHED_BUNDLE
    assert f"{newer_commit} refs/tags/v0.2.0" in heads
    with open_history(published) as history:
        assert history.describe("HEAD") == "v0.1.0"  # copier's HEAD is this scaffold's own
        assert history.commit("v0.2.0") == newer_commit


def test_status_paths_are_relative_to_a_project_in_a_subdirectory(repo: Path) -> None:
    project = repo / "services" / "orders"
    project.mkdir(parents=True)
    commit(repo, "services/orders/app.ts", "export {};\n")
    (project / "app.ts").write_text("export const changed = 1;\n")
    (project / "new.ts").write_text("export {};\n")
    (repo / "elsewhere.txt").write_text("not the project's business\n")

    changes = subtree_changes(project)

    assert changes == [(" M", "app.ts"), ("??", "new.ts")]
    with pytest.raises(DirtyTreeError, match="2 uncommitted change"):
        require_committed(project, command="scaffold update")


def test_outside_git_there_is_no_subtree_to_check(tmp_path: Path) -> None:
    assert subtree_changes(tmp_path) is None
