"""The examday pytest plugin: markers, item IDs, options, evidence, failure reports.

Loaded by the repository's conftest.py, and, once examday is installed, by its
pytest11 entry point in every pytest run of that environment (both under the
name "examday.plugin", so it registers once). The checklist needs it; the hooks
only touch tests that carry an `@item(...)` or sit in a checklist folder, and
the run-wide rules (strict markers, the bundled checklist) apply only to a run
that checks a platform (bundled.checklist_run), so examday's own tests in
tests/ and other projects' runs go on unaffected.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import pytest

from examday.checklist import PHASE_DESCRIPTIONS
from examday.plugin.bundled import add_bundled_checklist, checklist_folders, checklist_run
from examday.plugin.evidence import evidence_of
from examday.plugin.failures import failure_message, failure_text
from examday.plugin.items import attach_metadata, meta_of, phases_of, show_thresholds
from examday.plugin.triage import triage_of

pytest_plugins = ["examday.plugin.fixtures", "examday.plugin.platform_fixtures", "examday.plugin.parametrize",
                  "examday.plugin.attestation_fixtures", "examday.plugin.recording", "examday.plugin.rehearsal",
                  "examday.plugin.recovery", "examday.plugin.triage", "examday.plugin.bundled",
                  "examday.plugin.slow_readings"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("examday", "examday checklist")
    group.addoption("--target", dest="examday_target", metavar="PATH",
                    help="the examday.toml of the platform to check (default: $EXAMDAY_CONFIG, "
                         "else ./examday.toml: the sandbox)")
    group.addoption("--strict-attestations", action="store_true", dest="examday_strict_attestations",
                    help="an unattested manual item fails instead of being skipped")
    group.addoption("--attestations", dest="examday_attestations", metavar="FILE",
                    help="the attestation file to use instead of [attestations] file")
    group.addoption("--operator", dest="examday_operator", default=None,
                    help="who runs this checklist (default: $EXAMDAY_OPERATOR or $USER)")
    group.addoption("--fire-test-alert", action="store_true", dest="examday_fire_test_alert",
                    help="send a test alert through Alertmanager to the on-call receiver (done anyway on "
                         "the sandbox; never done on another target without this option)")
    group.addoption("--examday-catalog", action="store_true", dest="examday_catalog",
                    help="print the selected checklist items and exit")
    group.addoption("--examday-runbook-map", dest="examday_runbook_map", metavar="PATH",
                    help="write the runbook's sections with their items (docs/runbook.md) to PATH and exit")


PHASE_MARKERS = {**PHASE_DESCRIPTIONS, "manual": "satisfied only by an attestation"}


def pytest_configure(config: pytest.Config) -> None:
    # Registered here, not only in pyproject.toml: `pytest --target /elsewhere/x.toml` makes
    # pytest look for its ini file beside that path, and the checklist must not depend on it.
    for name, description in PHASE_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    config.addinivalue_line("markers", "examday_item(meta): checklist item metadata (use @item)")
    if config.option.help:  # --help lists the options; it checks nothing
        return
    _check_target_option(config)
    add_bundled_checklist(config)
    if checklist_run(config):
        config.option.strict_markers = True  # a mistyped phase must not silently select nothing


def _check_target_option(config: pytest.Config) -> None:
    """A --target that names no file is one line now, not a collection error per module later."""
    value = config.getoption("examday_target")
    if value and not Path(value).is_file():
        problem = "a folder, not a file" if Path(value).is_dir() else "no such file"
        raise pytest.UsageError(f"--target {value}: {problem}. Give the path of the platform's examday.toml.")


def _is_checklist(node: pytest.Item, folders: list[Path]) -> bool:
    path = Path(node.path).resolve()  # as the folders are: a symlinked working folder must not hide it
    return any(folder in path.parents for folder in folders) or node.get_closest_marker("examday_item") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    folders = checklist_folders(config)
    checklist = [node for node in items if _is_checklist(node, folders)]
    problems = attach_metadata(checklist)
    if problems:
        raise pytest.UsageError("checklist items without a valid ID:\n  " + "\n  ".join(problems))


def pytest_collection_finish(session: pytest.Session) -> None:
    selected = [node for node in session.items if meta_of(node) is not None]
    if not selected:
        return
    from examday.plugin.attestation_fixtures import load_attestation_file
    from examday.plugin.fixtures import load_target_config
    from examday.plugin.platform_fixtures import start_prefetch

    if session.config.option.examday_runbook_map:
        from examday.plugin.catalog import runbook_map

        Path(session.config.option.examday_runbook_map).write_text(runbook_map(selected), encoding="utf-8")
        session.items.clear()
        return
    if session.config.option.examday_catalog:
        from examday.plugin.catalog import print_catalog

        show_thresholds(selected, _target_or_none(session.config))
        print_catalog(selected, session.config.option.markexpr or "")
        session.items.clear()  # the catalog is the whole output of this run
    # Configuration and attestation-file errors surface here, once, before any item runs.
    show_thresholds(selected, load_target_config(session.config))
    if not session.config.option.collectonly:  # nothing runs, so nothing is read (nor a test alert fired)
        start_prefetch(session.config, selected)
    if any(meta_of(node).manual for node in selected):  # type: ignore[union-attr]
        load_attestation_file(session.config)


def _target_or_none(config: pytest.Config):  # noqa: ANN202 - ExamdayConfig | None
    """The target's config for the catalog's titles; none (defaults) when it does not load."""
    from examday.plugin.fixtures import load_target_config

    try:
        return load_target_config(config)
    except pytest.UsageError:
        return None


@pytest.fixture
def evidence(request: pytest.FixtureRequest):  # noqa: ANN201 - returns Evidence
    """Record what this item observed: `evidence.record(days_left=41)`."""
    return evidence_of(request.node)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    report: pytest.TestReport = yield
    meta = meta_of(item)
    if meta is None:
        return report
    report.user_properties.append(("examday_id", meta.id))
    if report.failed and call.excinfo is not None:
        message = failure_message(call.excinfo)
        item.stash[FAILURE_KEY] = message
        if item.config.option.tbstyle == "auto":
            report.longrepr = failure_text(meta, message, evidence_of(item), triage_of(item))
    return report


FAILURE_KEY = pytest.StashKey[str]()


def operator_name(config: pytest.Config) -> str:
    """--operator, $EXAMDAY_OPERATOR, else who runs it (the login name, also where $USER is unset)."""
    return config.option.examday_operator or os.environ.get("EXAMDAY_OPERATOR") or _login_name()


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for this uid (a bare container)
        return f"uid {os.getuid()}"


__all__ = ["evidence", "meta_of", "phases_of", "operator_name"]
