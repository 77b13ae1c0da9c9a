"""A dead dependency fails only the items that need it, quickly, naming it (issue: engine, item 5)."""

from __future__ import annotations

import pytest

from tests.checks.runner import run_checklist, sandbox_config

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

NEEDS_DOCKER = {"PRE-INF-01", "PRE-INF-02", "PRE-INF-03", "PRE-INF-04", "PRE-CFG-02", "PRE-CFG-04",
                "PRE-CFG-06", "PRE-MON-01", "PRE-MON-02", "PRE-CAP-01", "PRE-CAP-02", "PRE-CAP-03"}
NEEDS_POSTGRES = {"PRE-CFG-01", "PRE-CFG-02", "PRE-CAP-01", "PRE-CAP-02"}
BOUND_SECONDS = 60  # a whole phase with one dependency dead, generously


def _dead(kind: str, tcp_black_hole, silent_dns_server) -> tuple[dict, set[str], str]:
    if kind == "docker engine gone":
        return {"docker": {"base_url": "unix:///nonexistent/docker.sock"}}, NEEDS_DOCKER, "docker unavailable"
    if kind == "postgres accepts but never answers":
        return ({"postgres": {"host": tcp_black_hole.host, "port": tcp_black_hole.port,
                              "connect_timeout_seconds": 2}}, NEEDS_POSTGRES, "postgres unavailable")
    if kind == "dns resolver silent":
        return {"dns": {"resolver": silent_dns_server, "timeout_seconds": 1}}, {"PRE-INF-06"}, "dns"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["docker engine gone", "postgres accepts but never answers",
                                  "dns resolver silent"])
def test_only_dependent_items_fail(kind, preexam_sandbox, all_attested, tmp_path, tcp_black_hole,
                                   silent_dns_server):
    overrides, expected, says = _dead(kind, tcp_black_hole, silent_dns_server)
    config = sandbox_config(tmp_path, **overrides)
    run = run_checklist("preexam", tmp_path, "--target", str(config), "--attestations", str(all_attested))
    failed = run.ids_with("failed") | run.ids_with("error")
    assert failed == expected, run.stdout[-4000:]
    assert all(says in r.message for r in run.items if r.item_id in expected and r.outcome == "failed")
    assert "Traceback" not in run.stdout
    assert run.seconds < BOUND_SECONDS
