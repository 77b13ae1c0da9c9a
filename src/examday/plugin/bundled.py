"""The bundled checklist in a run: `pytest --target my-platform.toml -m preexam` from a team's folder
collects examday's checklist and the folder's own item files, under the same plugin and record.

Installed, the plugin loads in every pytest run of the environment (its pytest11 entry point), so
it adds the checklist only where an operator asked to check a platform:

- by default, when the run names a target (`--target`, or the default ./examday.toml in the
  folder pytest runs from) and no test path: pytest then collects the working folder (or the ini
  file's testpaths), and the checklist joins it. Naming paths (`pytest --target x.toml
  test_ours.py`) runs just those, as pytest always does.
- `--bundled-checklist` adds it in any case (beside named paths, or with $EXAMDAY_CONFIG);
- `--no-bundled-checklist` never (a team that runs only its own items, or its own copy).

A folder already collected is not added again: in this repository testpaths = ["checks"] is the
checklist itself, and `pytest tests` (examday's own tests) names its paths, so neither changes.
Other projects' runs name no target: the plugin leaves them as they are.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from examday.checklist_files import ChecklistMissing, checklist_dir, checklist_rootdir
from examday.config import CONFIG_ENV_VAR, DEFAULT_CONFIG_NAME


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("examday", "examday checklist")
    group.addoption("--bundled-checklist", action="store_true", dest="examday_bundled", default=None,
                    help="collect examday's checklist in any case (default: when a target is named, "
                         "--target or ./examday.toml, and no test path is)")
    group.addoption("--no-bundled-checklist", action="store_false", dest="examday_bundled", default=None,
                    help="never collect examday's checklist: only the named paths or this folder's items")


def wants_bundled(config: pytest.Config) -> bool:
    chosen = config.getoption("examday_bundled", default=None)
    if chosen is not None:
        return bool(chosen)
    named_paths = config.args_source == pytest.Config.ArgsSource.ARGS
    return target_named(config) and not named_paths


def target_named(config: pytest.Config) -> bool:
    """--target, or the target examday loads without it from the folder pytest runs in (not
    $EXAMDAY_CONFIG: set for a shell, it would add the checklist to every pytest run there)."""
    default = config.invocation_params.dir / DEFAULT_CONFIG_NAME
    return bool(config.getoption("examday_target", default=None)) or default.is_file()


def add_bundled_checklist(config: pytest.Config) -> None:
    """Append the checklist's folder to what pytest collects, unless it is there already."""
    if not wants_bundled(config):
        return
    try:
        folder = checklist_dir()
    except ChecklistMissing as error:
        raise pytest.UsageError(str(error)) from None
    if _whole_checkout(config):
        config.args[:] = [str(folder)]
    # A parent folder in the args may not reach it (pytest skips virtualenvs, where a wheel puts it);
    # pytest collects a file once even when two args hold it, so only the folder itself counts here.
    elif folder not in _arg_paths(config):
        config.args.append(str(folder))


def _whole_checkout(config: pytest.Config) -> bool:
    """pytest is about to collect a whole checkout of examday, its own tests/ included: run from the
    repository with `--target /elsewhere/x.toml`, pytest reads that value as a test path before the
    plugin is loaded, takes its rootdir from it, misses pyproject.toml and so its testpaths. The
    checklist is what that run asks for, as testpaths = ["checks"] says."""
    return (config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR
            and config.invocation_params.dir.resolve() == checklist_rootdir() != checklist_dir())


def checklist_run(config: pytest.Config) -> bool:
    """A run that checks a platform, to which the checklist's run-wide rules apply (strict markers,
    the pytest-html report for its record): a target named (--target or $EXAMDAY_CONFIG), a project
    laid out as examday's (examday.toml at the rootdir), or the bundled checklist collected. Anything
    else is another project's run in the same environment: left alone. Any hook may ask (the answer
    does not wait for add_bundled_checklist)."""
    if (target_named(config) or os.environ.get(CONFIG_ENV_VAR)
            or (config.rootpath / "examday.toml").is_file() or config.getoption("examday_bundled", default=None)):
        return True
    folders = bundled_folders()
    return any(path == folder or folder in path.parents for path in _arg_paths(config) for folder in folders)


def checklist_folders(config: pytest.Config) -> list[Path]:
    """Where every test is a checklist item (an @item is required): the bundled checklist, and the
    checks/ beside the rootdir's examday.toml (this repository's layout, or a team's copy of it)."""
    local = [(config.rootpath / "checks").resolve()] if (config.rootpath / "examday.toml").is_file() else []
    return [*bundled_folders(), *local]


def bundled_folders() -> list[Path]:
    """The bundled checklist's folder, or none in an install that lacks it (reported only when wanted)."""
    try:
        return [checklist_dir()]
    except ChecklistMissing:
        return []


def _arg_paths(config: pytest.Config) -> list[Path]:
    """The run's initial paths, absolute (an arg may be a node ID, `file.py::test_x`)."""
    if config.option.pyargs:  # module names, not paths
        return []
    return [Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args]
