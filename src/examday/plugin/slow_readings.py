"""The pre-exam phase's slow readings, started together as the run begins rather than one after another.

PRE-MON-07's test alert (Alertmanager's group waits, then the resolution's), PRE-INF-07's student
flow on staging and PRE-MON-05's dashboard page (a bcrypt basic auth on every request) spend their
seconds waiting on other programs: queued, they were half of the phase. Each starts on its own thread
at the end of collection when a selected item that is not declared not applicable uses its fixture
(prefetch.py), and the item collects it in its body (`.result()`), so a failure is still the item's own.

A reading does nothing its item would not do: the test alert is fired only on the sandbox's own
Alertmanager or with --fire-test-alert, and never when PRE-MON-07 is not selected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from examday.plugin.fixtures import load_target_config, shared_docker
from examday.plugin.prefetch import Pending


def _alert_round_trip(config: pytest.Config) -> Any:
    from examday.facts.alerting import fire_test_alert_if_allowed

    return fire_test_alert_if_allowed(shared_docker(config), load_target_config(config),
                                      asked=bool(config.getoption("examday_fire_test_alert")))


def _staging_trial(config: pytest.Config) -> Any:
    from examday.facts.staging import try_staging

    return try_staging(load_target_config(config))


def _dashboard_reading(config: pytest.Config) -> Any:
    from examday.facts.proxy import dashboard_access

    return dashboard_access(load_target_config(config))


# Both go through the site's proxy, whose basic auth checks a bcrypt hash on every request: side by side
# they slow each other on a proxy with little CPU (staging's /health past its 5 s timeout was seen on a
# loaded 2-core machine), so they run one after the other, beside the test alert's waiting.
PROXY_LANE = {"staging_trial": "proxy", "dashboard_reading": "proxy"}


def slow_jobs(config: pytest.Config) -> dict[str, Callable[[], Any]]:
    """fixture name -> its reading, for the readings the target configures."""
    target = load_target_config(config)
    configured = {"alert_round_trip": (_alert_round_trip, target.alertmanager is not None),
                  "staging_trial": (_staging_trial, target.staging is not None
                                    and target.staging.api_base_url is not None),
                  "dashboard_reading": (_dashboard_reading, target.dashboard is not None)}
    return {name: (lambda read=read: read(config)) for name, (read, wanted) in configured.items() if wanted}


@pytest.fixture(scope="session")
def alert_round_trip(pytestconfig: pytest.Config) -> Pending:
    """PRE-MON-07: the test alert's Delivery, or NotFired saying why it was not sent."""
    return Pending(pytestconfig, "alert_round_trip", lambda: _alert_round_trip(pytestconfig))


@pytest.fixture(scope="session")
def staging_trial(pytestconfig: pytest.Config) -> Pending:
    """PRE-INF-07: staging's health and ready, then a student's whole flow there (a StagingTrial)."""
    return Pending(pytestconfig, "staging_trial", lambda: _staging_trial(pytestconfig))


@pytest.fixture(scope="session")
def dashboard_reading(pytestconfig: pytest.Config) -> Pending:
    """PRE-MON-05: the dashboard page (and on Traefik its API's version), a DashboardAccess."""
    return Pending(pytestconfig, "dashboard_reading", lambda: _dashboard_reading(pytestconfig))
