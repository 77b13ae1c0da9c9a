"""examday as a real pytest plugin: `pytest --target my-platform.toml -m preexam` from a team's own
folder (outside this repository) runs the bundled checklist and the folder's own items, under the
same plugin and into the same record; examday's own tests and other projects' runs stay as they were.

The fast tests use this repository's venv (its editable install registers the same entry point);
the slow ones build the wheel and install it into a fresh venv, as a team does.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.plugin.team_folder import (
    CHECKS,
    REPO,
    TEAM_ID,
    UNREACHABLE_TARGET,
    bundled_ids,
    catalog_ids,
    example_target,
    record_items,
    run_pytest,
    team_folder,
)
from tests.plugin.wheel import build_wheel, install_in_fresh_venv

TEAM_NODE = "test_team_items.py::test_api_health_answers"


def collected(done: subprocess.CompletedProcess[str]) -> list[str]:
    """`--collect-only -q`'s node IDs, each from its file's name: the rootdir pytest picks (and so the
    IDs' folders) follows --target's folder when the value comes after a space."""
    return [line.rpartition("/")[2] for line in done.stdout.splitlines() if "::" in line]


@pytest.fixture
def team(tmp_path: Path) -> Path:
    return team_folder(tmp_path)


def test_the_entry_point_is_named_as_the_module_the_conftest_loads():
    # The same name: the repository's conftest.py then finds it registered instead of registering it
    # twice. Missing here means the venv predates the entry point: `make venv` reinstalls it.
    [entry] = importlib.metadata.entry_points(group="pytest11", name="examday.plugin")
    assert entry.value == "examday.plugin"


def test_a_team_folder_collects_the_bundled_checklist_and_its_own_items(team, tmp_path):
    target, reports = example_target(tmp_path / "elsewhere"), tmp_path / "reports"
    done = run_pytest(team, "--target", str(target), "--reports-dir", str(reports), "--collect-only", "-q",
                      "-m", "preexam")
    assert done.returncode == 0, done.stdout + done.stderr
    files = {node.split("::")[0] for node in collected(done)}
    assert files == {path.name for path in CHECKS.glob("test_preexam_*.py")} | {"test_team_items.py"}
    assert TEAM_NODE in collected(done)
    assert not reports.exists()  # collecting writes no record


def test_the_catalog_lists_the_bundled_items_and_the_teams(team, tmp_path):
    target = example_target(tmp_path / "elsewhere")
    done = run_pytest(team, "--target", str(target), "-m", "preexam", "--examday-catalog")
    assert done.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, done.stdout + done.stderr
    assert catalog_ids(done) == bundled_ids("preexam", target) | {TEAM_ID}


def test_a_run_from_a_team_folder_records_bundled_items_and_the_teams(team, tmp_path):
    (team / "platform.toml").write_text(UNREACHABLE_TARGET)
    reports = tmp_path / "reports"
    done = run_pytest(team, "--target", "platform.toml", "--reports-dir", str(reports), "-m", "preexam",
                      "-k", "health_answers or connection_capacity")
    assert done.returncode == 1, done.stdout + done.stderr  # the API and the database are down
    assert record_items(reports) == {"PRE-CAP-01": ["failed"], TEAM_ID: ["failed"]}
    assert f"{TEAM_ID} The platform's API answers its health check" in done.stdout
    assert "api unavailable" in done.stdout  # the same fixtures and failure report as the checklist's


def test_an_examday_toml_in_the_folder_is_the_target_without_naming_it(team, tmp_path):
    example_target(tmp_path / "elsewhere").rename(team / "examday.toml")
    done = run_pytest(team, "-m", "preexam", "--collect-only", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    files = {node.split("::")[0] for node in collected(done)}
    assert {"test_team_items.py", "test_preexam_infrastructure.py"} <= files, done.stdout


def test_without_the_bundled_checklist_only_the_folders_items_run(team, tmp_path):
    target = example_target(tmp_path / "elsewhere")
    done = run_pytest(team, "--target", str(target), "--no-bundled-checklist", "--collect-only", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert collected(done) == [TEAM_NODE]


def test_named_paths_run_only_those_unless_the_checklist_is_asked_for(team, tmp_path):
    target = example_target(tmp_path / "elsewhere")
    named = run_pytest(team, "--target", str(target), "test_team_items.py", "--collect-only", "-q")
    assert collected(named) == [TEAM_NODE], named.stdout
    asked = run_pytest(team, "--target", str(target), "test_team_items.py", "--bundled-checklist",
                       "-m", "preexam", "--collect-only", "-q")
    files = {node.split("::")[0] for node in collected(asked)}
    assert {"test_team_items.py", "test_preexam_infrastructure.py"} <= files, asked.stdout


def test_from_the_repository_a_target_elsewhere_runs_the_checklist_not_examdays_own_tests(tmp_path):
    # `--target /elsewhere/x.toml`, a space before the value: pytest takes the value for a test path
    # when it picks the rootdir, before the plugin is loaded, and misses pyproject.toml's testpaths.
    target = example_target(tmp_path / "elsewhere")
    done = run_pytest(REPO, "--target", str(target), "-m", "preexam", "--collect-only", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if "::" in line]
    # The IDs' folders follow the rootdir pytest picked (the common ancestor of this checkout and the
    # target's folder: /tmp for a clone in /tmp): the files are what tells the checklist from tests/.
    assert lines and all(node.startswith("test_preexam_") for node in collected(done)), lines[:5]
    assert not [line for line in lines if "tests/" in line], lines[:5]


def test_examdays_own_tests_with_a_target_do_not_collect_the_checklist(tmp_path):
    target = example_target(tmp_path / "elsewhere")
    done = run_pytest(REPO, "tests/test_text.py", "--target", str(target), "--collect-only", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    nodes = [line for line in done.stdout.splitlines() if "::" in line]
    assert nodes and all(line.startswith("tests/test_text.py::") for line in nodes), nodes[:5]


def test_another_projects_run_is_left_alone(tmp_path):
    # The entry point loads the plugin in every pytest run of the venv: a project with a checks/
    # folder of plain tests and a marker of its own is none of its business.
    project = tmp_path / "project"
    (project / "checks").mkdir(parents=True)
    (project / "checks" / "test_plain.py").write_text(
        "import pytest\n\n@pytest.mark.nightly\ndef test_plain():\n    assert 1 + 1 == 2\n")
    done = run_pytest(project, "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout and "examday" not in done.stdout


def test_a_target_naming_no_file_is_one_line(team):
    done = run_pytest(team, "--target", "missing.toml", "-m", "preexam")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert done.stderr.strip() == ("ERROR: --target missing.toml: no such file. "
                                   "Give the path of the platform's examday.toml.")
    assert done.stdout.strip() == ""


# -- the wheel, installed in a fresh venv ----------------------------------------------------------

@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def installed_python(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """One install per session: the dependencies come from the package index."""
    return install_in_fresh_venv(tmp_path_factory.mktemp("installed"), wheel)


@pytest.mark.slow
def test_the_wheel_carries_the_checklist_and_its_entry_point(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        declared = archive.read(entry_points).decode()
    shipped = {f"examday/_checklist/{p.relative_to(CHECKS)}" for p in [*CHECKS.glob("*.py"), *CHECKS.glob("sql/*.sql")]}
    assert shipped <= names
    assert "examday_build.py" not in names  # the build step is not part of the package
    assert "[pytest11]\nexamday.plugin = examday.plugin" in declared


@pytest.mark.slow
def test_installed_from_the_wheel_a_team_folder_collects_the_checklist_and_its_items(installed_python, team,
                                                                                    tmp_path):
    target = example_target(tmp_path / "elsewhere")
    done = run_pytest(team, "--target", str(target), "-m", "preexam", "--examday-catalog", python=installed_python)
    assert done.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, done.stdout + done.stderr
    assert catalog_ids(done) == bundled_ids("preexam", target) | {TEAM_ID}
    where = subprocess.run([str(installed_python), "-c", "from examday.checklist_files import checklist_dir, sql_dir; "
                            "print(checklist_dir()); print(len(list(sql_dir().glob('*.sql'))))"],
                           capture_output=True, text=True, timeout=60, cwd=team)
    folder, invariants = where.stdout.split()
    assert Path(folder).is_relative_to(installed_python.parents[1]) and Path(folder).name == "_checklist"
    assert int(invariants) == len(list(CHECKS.glob("sql/*.sql")))


@pytest.mark.sandbox
@pytest.mark.slow
def test_installed_from_the_wheel_the_preexam_record_holds_the_checklist_and_the_teams_item(
        installed_python, sandbox, team, tmp_path):
    from tests.checks.runner import sandbox_config

    target = sandbox_config(tmp_path / "target", baseline={"dir": str(tmp_path / "baselines")})
    reports = tmp_path / "reports"
    done = run_pytest(team, "--target", str(target), "-m", "preexam", "--reports-dir", str(reports),
                      python=installed_python, timeout=600)
    # Whether the whole phase passes depends on the sandbox's stage; the record must hold all of it.
    assert done.returncode in (0, 1), done.stdout[-4000:] + done.stderr[-2000:]
    items = record_items(reports)
    assert bundled_ids("preexam", target) <= set(items), done.stdout[-4000:]
    assert items[TEAM_ID] == ["passed"], done.stdout[-4000:]


@pytest.mark.sandbox
def test_from_the_repository_a_target_and_a_reports_dir_elsewhere_written_with_a_space_run_and_record(
        sandbox, tmp_path):
    """The README's spelling (`--target PATH --reports-dir DIR`, both outside this checkout) from the
    repository itself: the item runs against that target and its record lands in that folder."""
    from tests.checks.runner import sandbox_config

    target = sandbox_config(tmp_path / "elsewhere")
    reports = tmp_path / "records"
    done = run_pytest(REPO, "--target", str(target), "--reports-dir", str(reports), "-m", "preexam",
                      "-k", "every_service_running_and_healthy")
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-2000:]
    assert record_items(reports) == {"PRE-INF-01": ["passed"]}, done.stdout[-3000:]
