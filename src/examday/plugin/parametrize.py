"""One item instance per configured thing: TLS endpoint, expected DNS record, integrity invariant.
An item with none configured runs once and says what to configure (or, for invariants, fails)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from examday.plugin.fixtures import load_target_config


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One item instance per configured TLS endpoint, expected DNS record and integrity invariant."""
    if metafunc.definition.get_closest_marker("examday_item") is None:
        return  # only checklist items: other tests may use these names for their own
    for name, values, ids in _config_parameters(metafunc):
        metafunc.parametrize(name, values or [None], ids=ids or ["none-configured"], indirect=True)


def _config_parameters(metafunc: pytest.Metafunc) -> Iterator[tuple[str, list[Any], list[str]]]:
    if "invariant" in metafunc.fixturenames:
        from examday.facts.invariants import load_invariants

        invariants = load_invariants()
        yield "invariant", invariants, [i.name for i in invariants]
    wanted = {"tls_endpoint", "dns_record"} & set(metafunc.fixturenames)
    if not wanted:
        return
    config = load_target_config(metafunc.config)
    if "tls_endpoint" in wanted:
        yield "tls_endpoint", list(config.tls.endpoints), list(config.tls.endpoints)
    if "dns_record" in wanted:
        records = list(config.dns.records)
        yield "dns_record", records, [f"{r.name}-{r.type}" for r in records]


@pytest.fixture
def tls_endpoint(request: pytest.FixtureRequest) -> str:
    if request.param is None:
        pytest.skip("no TLS endpoints configured ([tls] endpoints, or an https [api] base_url)")
    return request.param


@pytest.fixture
def invariant(request: pytest.FixtureRequest) -> Any:
    if request.param is None:
        pytest.fail("no invariant files in checks/sql/: examday's install is incomplete (reinstall it)")
    return request.param


@pytest.fixture
def dns_record(request: pytest.FixtureRequest) -> Any:
    if request.param is None:
        pytest.skip("no expected DNS records configured ([[dns.records]] name, type, expected)")
    return request.param  # [dns] resolver unset: the host's own resolver answers
