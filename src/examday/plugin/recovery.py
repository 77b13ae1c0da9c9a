"""The recovery phase's one option: when the incident ended (`--recovered-at`), for REC-OBS-03."""

from __future__ import annotations

import datetime as dt

import pytest

OPTION = "--recovered-at"
RECOVERED_AT_KEY = pytest.StashKey["dt.datetime | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("examday").addoption(
        OPTION, dest="examday_recovered_at", default=None, metavar="TIME",
        help="when the incident ended (ISO 8601, e.g. 2026-12-03T10:30; without a zone: this machine's): "
             "REC-OBS-03 counts the errors logged from then (default: the latest start of the platform's "
             "containers, within [logs] window_minutes)")


def parse_recovered_at(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """The operator's time, as an aware datetime; a usage error that says what to give otherwise."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise pytest.UsageError(f"{OPTION} {text!r}: not a time. Give it in ISO 8601, e.g. "
                                f"{OPTION}=2026-12-03T10:30 (this machine's zone) or 2026-12-03T09:30Z") from None
    moment = moment if moment.tzinfo else moment.astimezone()  # naive: this machine's local time
    if moment > (now or dt.datetime.now(dt.timezone.utc)):
        raise pytest.UsageError(f"{OPTION} {text!r}: that is in the future. Give when the incident ended.")
    return moment.astimezone(dt.timezone.utc)


def pytest_configure(config: pytest.Config) -> None:
    """A time that does not parse is a usage error before anything runs."""
    text = config.getoption("examday_recovered_at", default=None)
    config.stash[RECOVERED_AT_KEY] = None if text is None else parse_recovered_at(text)


@pytest.fixture(scope="session")
def recovered_at(pytestconfig: pytest.Config) -> dt.datetime | None:
    """When the incident ended, if the operator said (`--recovered-at`); None otherwise."""
    return pytestconfig.stash[RECOVERED_AT_KEY]
