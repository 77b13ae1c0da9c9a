"""Triage on failure: an item declared with `triage="High Latency"` (a Common Issue of the runbook) runs
that issue's diagnostic steps when it fails, before its report is written, so the terminal, the
record (checklist.html, results.json) and the watch page carry what they found.

The steps read through the run's own probes, without marking a dependency down for the items after
(`Guarded.unremembered`), and reuse the window's log summary when the failed item read one. They run
once per run: the items failing after the first share its diagnostics, each judged for its own issue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from examday.plugin.fixtures import load_target_config, shared_docker, shared_postgres, shared_redis
from examday.plugin.items import meta_of

if TYPE_CHECKING:  # the steps' facts are imported when an item fails, not at every run's start
    from examday.facts.log_analysis import LogSummary
    from examday.facts.triage import Diagnostics, Triage
    from examday.facts.triage_steps import TriageReads

TRIAGE_KEY = pytest.StashKey["Triage"]()
DIAGNOSTICS_KEY = pytest.StashKey["Diagnostics"]()
LOG_SUMMARY_KEY = pytest.StashKey["LogSummary"]()
LOG_SUMMARY_FIXTURE = "log_window"  # checks/test_during.py's module fixture: the window, read once
_NOT_FAILURES = (pytest.skip.Exception, KeyboardInterrupt, SystemExit)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):  # noqa: ANN201
    try:
        return (yield)
    except BaseException as error:
        meta = meta_of(item)
        if meta is not None and meta.triage and not isinstance(error, _NOT_FAILURES):
            from examday.facts.common_issues import COMMON_ISSUES
            from examday.facts.triage import judged

            item.stash[TRIAGE_KEY] = judged(COMMON_ISSUES[meta.triage], _diagnostics(item))
        raise


def _diagnostics(item: pytest.Item) -> Diagnostics:
    """The run's diagnostics, taken when its first item failed: the items failing after it in the same
    run share them (a round's failures are seconds apart, and each set of steps costs seconds)."""
    if DIAGNOSTICS_KEY not in item.config.stash:
        from examday.facts.triage import diagnose as run_steps

        item.config.stash[DIAGNOSTICS_KEY] = run_steps(_reads(item))
    return item.config.stash[DIAGNOSTICS_KEY]


@pytest.fixture
def diagnose(request: pytest.FixtureRequest) -> Callable[[str], Triage]:
    """`diagnose("Database unresponsive")`: that Common Issue's triage now, for drills that check the
    diagnostics show the fault they made."""
    from examday.facts.common_issues import COMMON_ISSUES
    from examday.facts.triage import triage

    return lambda issue: triage(COMMON_ISSUES[issue], _reads(request.node))


def triage_of(item: pytest.Item) -> Triage | None:
    return item.stash.get(TRIAGE_KEY, None)


def _reads(item: pytest.Item) -> TriageReads:
    from examday.facts.triage_steps import TriageReads

    config = item.config
    target = load_target_config(config)
    docker = shared_docker(config).unremembered
    return TriageReads(docker=docker, postgres=shared_postgres(config).unremembered,
                       redis=shared_redis(config).unremembered, config=target,
                       log_summary=lambda: _log_summary(item, docker, target))


def _log_summary(item: pytest.Item, docker: Any, target: Any) -> LogSummary:
    """The window's logs as the failed item read them, else read once for the run (a window of exam
    traffic is millions of lines: not read again for every diagnosis)."""
    funcargs = getattr(item, "funcargs", {})
    if LOG_SUMMARY_FIXTURE in funcargs:
        return funcargs[LOG_SUMMARY_FIXTURE]
    if LOG_SUMMARY_KEY not in item.config.stash:
        from examday.facts.logs import recent_log_summary

        item.config.stash[LOG_SUMMARY_KEY] = recent_log_summary(docker, target)
    return item.config.stash[LOG_SUMMARY_KEY]
