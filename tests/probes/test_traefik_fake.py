"""The proxy items on Traefik: its API (against FakeTraefikApi, a real HTTP server standing in for a
Traefik Debian does not ship) and its JSON access log (recorded lines), plus Caddy's upstream rules.

Each path is seen passing on the healthy recording and failing for its own cause, through the
pure judging functions, through the fact and probe code, and through the checklist items themselves.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from examday.config import ExamdayConfig
from examday.config.sections import ProxyConfig
from examday.facts import traefik, traefik_access_log
from examday.facts.proxy import dashboard_access, judge_caddy_upstreams, judge_version, route_health
from examday.plugin.evidence import Evidence
from examday.probes.docker import ExecResult
from examday.probes.errors import BadResponse, ProbeError, Unreachable
from examday.probes.traefik import api_base, host_file_lines
from tests.fixtures.fake_traefik import (
    BACKEND_SERVER,
    SCENARIOS,
    FakeTraefikApi,
    access_line,
    recorded_access_log,
    recorded_api,
    recorded_overview,
)

CHECKS = Path(__file__).resolve().parents[2] / "checks"
TRAEFIK_CONTAINER = "exam_platform_traefik"

# The one cause each unhealthy recording must be failed for (and nothing else).
CAUSES = {
    "router_disabled": ["router frontend@docker is disabled: no valid entryPoint for this router"],
    "server_down": ["router api-http@docker: service api@docker has 1 of 1 servers DOWN by its health check: "
                    f"{BACKEND_SERVER}",
                    "router api@docker: service api@docker has 1 of 1 servers DOWN by its health check: "
                    f"{BACKEND_SERVER}"],
    "router_missing": ["expected routers missing: frontend-http (Traefik has: api-http@docker, api@docker, "
                       "frontend@docker, traefik-dashboard@docker)"],
    "no_routers": ["Traefik has no routers (besides its internal ones): nothing is routed",
                   "expected routers missing: api, api-http, frontend, frontend-http, traefik-dashboard "
                   "(Traefik has: none)"],
    "no_servers": ["router api-http@docker: service api@docker has no servers: nothing to send requests to",
                   "router api@docker: service api@docker has no servers: nothing to send requests to"],
}


def config_for(*, containers: dict[str, Any] | None = None, dashboard: str | None = None,
               **proxy: Any) -> ExamdayConfig:
    values: dict[str, Any] = {"target": {"name": "runbook-era", "kind": "staging"},
                              "api": {"base_url": "http://127.0.0.1:9"}, "proxy": {"kind": "traefik", **proxy},
                              "docker": {"containers": {"proxy": TRAEFIK_CONTAINER, **(containers or {})}}}
    if dashboard:
        values["dashboard"] = {"url": dashboard, "timeout_seconds": 2}
    return ExamdayConfig.model_validate(values)


def judged(scenario: str) -> traefik.ApiJudgement:
    routers, services = recorded_api(scenario)
    return traefik.judge_api(traefik.parse_routers(routers), traefik.parse_services(services),
                             traefik.parse_overview(recorded_overview(routers, services)),
                             ProxyConfig(kind="traefik").expected_routers)


def load_check_module(name: str) -> ModuleType:
    """A checklist module as pytest would import it, so the items themselves can be called."""
    spec = importlib.util.spec_from_file_location(f"examday_checks_{name}", CHECKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def freeze_checks() -> ModuleType:
    return load_check_module("test_freeze")


@pytest.fixture(scope="module")
def monitoring_checks() -> ModuleType:
    return load_check_module("test_preexam_monitoring")


class RecordedDockerLogs:
    """Stands in for the docker probe's logs and exec with recorded access-log lines (no container is touched).

    ``exec`` answers ``tail -n N PATH`` as tail does: the last N lines of the file, exit 1 for
    another path; ``logs`` streams the container's recorded stdout.
    """

    def __init__(self, lines: list[str], *, file_path: str = "/var/log/traefik/access.log") -> None:
        self.lines = lines
        self.file_path = file_path
        self.calls: list[tuple[str, Any]] = []

    def logs(self, name: str, since: dt.datetime | None = None, tail: int | None = None,
             max_line_bytes: int = 65536) -> Iterator[str]:
        self.calls.append(("logs", name))
        return iter(self.lines)

    def exec(self, name: str, argv: list[str], timeout: float = 10.0,
             environment: dict[str, str] | None = None) -> ExecResult:
        self.calls.append(("exec", (name, argv)))
        command, flag, count, path = argv
        assert (command, flag) == ("tail", "-n")
        if path != self.file_path:
            return ExecResult(1, f"tail: can't open '{path}': No such file or directory\n")
        kept = self.lines[-int(count):]
        return ExecResult(0, "".join(f"{line}\n" for line in kept))


# --- the API: pure judgement on the recorded bodies -----------------------------------------------


def test_the_healthy_recording_is_judged_healthy() -> None:
    judgement = judged("healthy")
    assert judgement.unhealthy == []
    assert judgement.routers == 5  # the platform's five; Traefik's internal ones left out
    names = {router["name"]: router for router in judgement.detail["routers_detail"]}
    assert names["api@docker"]["cert_resolver"] == "letsencrypt"
    assert names["api@docker"]["entrypoints"] == ["websecure"]


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s != "healthy"])
def test_each_unhealthy_recording_fails_for_its_own_cause(scenario: str) -> None:
    assert sorted(judged(scenario).unhealthy) == sorted(CAUSES[scenario])


def test_traefiks_internal_api_router_never_stands_in_for_the_platforms_api_router() -> None:
    routers = traefik.parse_routers(recorded_api("no_routers")[0])
    assert any(r.name == "api@internal" for r in routers)
    assert traefik.missing_routers(routers, ["api"]) == ["api"]


def test_an_expected_name_with_a_provider_matches_only_that_provider() -> None:
    routers = traefik.parse_routers(recorded_api("healthy")[0])
    assert traefik.missing_routers(routers, ["api@docker", "api", "api@file"]) == ["api@file"]


def test_a_router_in_warning_state_is_unhealthy() -> None:
    routers, services = recorded_api("healthy")
    api = next(r for r in routers if r["name"] == "api@docker")
    api.update(status="warning", error=['unknown TLS options: exam@file'])
    judgement = traefik.judge_api(traefik.parse_routers(routers), traefik.parse_services(services),
                                  traefik.parse_overview(recorded_overview(routers, services)), [])
    assert judgement.unhealthy == ["router api@docker is warning: unknown TLS options: exam@file"]


def test_a_middleware_error_shows_through_the_overview() -> None:
    routers, services = recorded_api("healthy")
    overview = recorded_overview(routers, services)
    overview["http"]["middlewares"]["errors"] = 1
    judgement = traefik.judge_api(traefik.parse_routers(routers), traefik.parse_services(services),
                                  traefik.parse_overview(overview), [])
    assert judgement.unhealthy == ["Traefik's overview counts 1 HTTP middlewares with errors and 0 with warnings "
                                   "(see its dashboard)"]


@pytest.mark.parametrize("body", [{"routers": []}, None, "404 page not found", [["api@docker"]]])
def test_a_body_that_is_not_traefiks_router_list_is_refused(body: Any) -> None:
    with pytest.raises(traefik.UnexpectedShape, match="expected a list of objects"):
        traefik.parse_routers(body)


def test_an_overview_without_its_http_section_is_refused() -> None:
    with pytest.raises(traefik.UnexpectedShape, match='"http" section'):
        traefik.parse_overview({"status": "ok"})


# --- the API: the fact and probe code against FakeTraefikApi --------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_route_health_reads_the_fake_traefik_api(scenario: str) -> None:
    with FakeTraefikApi(scenario) as fake:
        health = route_health(RecordedDockerLogs([]), config_for(admin_url=fake.api_url))
        asked = list(fake.paths)
    assert sorted(health.unhealthy) == sorted(CAUSES.get(scenario, []))
    assert health.source == f"traefik API {fake.api_url}"
    # One page holds every router and service (Traefik's default page is 100).
    assert "/api/http/routers?per_page=1000" in asked and "/api/http/services?per_page=1000" in asked
    assert "/api/overview" in asked


def test_the_entrypoints_bare_address_reaches_the_api_under_it() -> None:
    assert api_base("http://127.0.0.1:8080") == api_base("http://127.0.0.1:8080/api/") == "http://127.0.0.1:8080/api"
    with FakeTraefikApi() as fake:
        health = route_health(RecordedDockerLogs([]), config_for(admin_url=fake.url))
    assert health.unhealthy == [] and health.routes == 5


def test_an_api_that_does_not_answer_names_the_proxy_dependency(closed_port: int) -> None:
    with pytest.raises(Unreachable) as caught:
        route_health(RecordedDockerLogs([]), config_for(admin_url=f"http://127.0.0.1:{closed_port}", timeout_seconds=2))
    assert caught.value.dependency == "proxy" and f"127.0.0.1:{closed_port}/api/http/routers" in str(caught.value)


def test_an_admin_url_that_is_not_traefiks_api_is_a_bad_response() -> None:
    with FakeTraefikApi() as fake:
        with pytest.raises(BadResponse, match="answered 404"):
            route_health(RecordedDockerLogs([]), config_for(admin_url=f"{fake.url}/dashboard"))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_frz_sys_03_passes_on_the_healthy_api_and_fails_for_each_cause(scenario: str, freeze_checks: ModuleType) -> None:
    evidence = Evidence()
    with FakeTraefikApi(scenario) as fake:
        config = config_for(admin_url=fake.api_url)
        if scenario == "healthy":
            freeze_checks.test_proxy_routes_healthy(RecordedDockerLogs([]), config, evidence)
        else:
            with pytest.raises(AssertionError) as caught:
                freeze_checks.test_proxy_routes_healthy(RecordedDockerLogs([]), config, evidence)
            for cause in CAUSES[scenario]:
                assert cause in str(caught.value)
    recorded = evidence.as_dict()
    assert recorded["source"].startswith("traefik API") and "routers_detail" in recorded and "overview" in recorded


# --- the access log: pure judgement on recorded lines ---------------------------------------------


NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone.utc)
SINCE = NOW - dt.timedelta(minutes=15)


def judge_lines(lines: list[str]) -> tuple[traefik_access_log.AccessLogSummary, list[str]]:
    summary = traefik_access_log.summarize_access_log(lines, SINCE)
    return summary, traefik_access_log.judge_access_log(summary, window_minutes=15, max_error_share=0.01)


def test_the_healthy_access_log_passes_and_redirects_are_no_errors() -> None:
    summary, problems = judge_lines(recorded_access_log("healthy", NOW))
    assert problems == []
    routers = summary.routers
    assert routers["api@docker"].requests == 121 and routers["api@docker"].server_errors == 1  # 0.8% < 1%
    # OriginStatus 0 on Traefik's own answers (redirects, its dashboard) is not "unreachable".
    assert routers["api-http@docker"].server_errors == routers["traefik-dashboard@docker"].server_errors == 0
    assert routers[traefik_access_log.NO_ROUTER].requests == 1
    assert summary.outside_window == 30  # the hour-old burst of 502s does not count
    assert summary.other_lines == 2  # Traefik's own startup lines
    assert traefik_access_log.quiet_routers(summary, ["api", "frontend-http", "traefik-dashboard", "metrics"]) == ["metrics"]


def test_the_5xx_heavy_access_log_names_each_failing_router() -> None:
    summary, problems = judge_lines(recorded_access_log("errors", NOW))
    assert problems == [
        "router api@docker: 26 of 146 requests 5xx (17.8%, over 1.0%), 25 with the server unreachable (OriginStatus 0)",
        "router frontend@docker: all 8 requests failed with 5xx, 8 with the server unreachable (OriginStatus 0)",
    ]
    assert summary.routers["api@docker"].as_evidence()["slowest_ms"] == 30000.0


def test_an_empty_window_fails_and_says_what_was_seen_instead() -> None:
    summary, problems = judge_lines(recorded_access_log("empty", NOW))
    assert summary.requests == 0
    assert problems == ["no access-log lines in the last 15 min: nothing shows that Traefik routes (2 other log "
                        "lines: is the access log written elsewhere (accessLog.filePath) or not in JSON "
                        "(accessLog.format = json)?)"]
    assert judge_lines([])[1] == ["no access-log lines in the last 15 min: nothing shows that Traefik routes"]


def test_only_old_entries_is_an_empty_window() -> None:
    old = [access_line(NOW - dt.timedelta(hours=2), "api@docker", 200, 200)]
    assert judge_lines(old)[1] == ["no access-log lines in the last 15 min: nothing shows that Traefik routes "
                                   "(1 older entries)"]


def test_garbage_lines_are_counted_never_raised() -> None:
    good = access_line(NOW, "api@docker", 200, 200)
    lines = ["", "not json", "{", "[1, 2]", '{"DownstreamStatus": "five hundred"}', good[:40], "\udcff" + good,
             '2026-11-28T08:59:00.000000000Z ' + good, json.dumps({"DownstreamStatus": True})]
    summary, problems = judge_lines(lines)
    assert problems == [] and summary.requests == 2  # the clean line behind a docker timestamp, and the one after junk
    assert summary.not_json == 5 and summary.other_lines == 2


def test_a_flood_of_router_names_stays_bounded() -> None:
    lines = [access_line(NOW, f"r{i}@docker", 200, 200) for i in range(1000)]
    summary, _ = judge_lines(lines)
    assert len(summary.routers) <= 201 and summary.requests == 1000


# --- the access log: the fact and probe code, each source -----------------------------------------


def test_the_access_log_file_in_the_container_is_read_with_tail(freeze_checks: ModuleType) -> None:
    docker = RecordedDockerLogs(recorded_access_log("healthy", dt.datetime.now(dt.timezone.utc)))
    health = route_health(docker, config_for())
    assert health.unhealthy == []
    assert docker.calls == [("exec", (TRAEFIK_CONTAINER, ["tail", "-n", "20000", "/var/log/traefik/access.log"]))]
    assert health.source == f"traefik access log ({TRAEFIK_CONTAINER}:/var/log/traefik/access.log), last 15 min"
    freeze_checks.test_proxy_routes_healthy(docker, config_for(), Evidence())


@pytest.mark.parametrize("kind, cause", [
    ("errors", "router frontend@docker: all 8 requests failed with 5xx"),
    ("empty", "no access-log lines in the last 15 min"),
])
def test_frz_sys_03_fails_on_the_access_log_for_its_own_cause(kind: str, cause: str, freeze_checks: ModuleType) -> None:
    docker = RecordedDockerLogs(recorded_access_log(kind, dt.datetime.now(dt.timezone.utc)))
    evidence = Evidence()
    with pytest.raises(AssertionError) as caught:
        freeze_checks.test_proxy_routes_healthy(docker, config_for(), evidence)
    assert cause in str(caught.value)
    assert evidence.as_dict()["source"].startswith("traefik access log")


def test_a_missing_access_log_file_says_where_else_to_read(freeze_checks: ModuleType) -> None:
    docker = RecordedDockerLogs([], file_path="/elsewhere/access.log")
    with pytest.raises(BadResponse) as caught:
        route_health(docker, config_for())
    assert caught.value.dependency == "proxy"
    assert "No such file" in str(caught.value) and "access_log_source" in str(caught.value)


def test_a_window_longer_than_the_lines_read_says_it_was_cut() -> None:
    docker = RecordedDockerLogs(recorded_access_log("healthy", dt.datetime.now(dt.timezone.utc)))
    health = route_health(docker, config_for(access_log_max_lines=100))
    assert "(only the last 100 lines were read, from " in health.source
    assert health.detail["window_cut_at_lines"] == 100


def test_the_container_stdout_is_read_when_traefik_logs_there() -> None:
    docker = RecordedDockerLogs(recorded_access_log("errors", dt.datetime.now(dt.timezone.utc)))
    health = route_health(docker, config_for(access_log_source="container_stdout"))
    assert docker.calls == [("logs", TRAEFIK_CONTAINER)]
    assert [problem.split(":")[0] for problem in health.unhealthy] == ["router api@docker", "router frontend@docker"]


@pytest.mark.parametrize("kind, passes", [("healthy", True), ("errors", False), ("empty", False)])
def test_a_host_file_is_read_from_its_end(kind: str, passes: bool, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("".join(f"{line}\n" for line in recorded_access_log(kind, dt.datetime.now(dt.timezone.utc))))
    health = route_health(RecordedDockerLogs([]), config_for(access_log_source="host_file", access_log_path=str(log),
                                                             containers={"proxy": None}))
    assert (health.unhealthy == []) is passes
    assert health.source.startswith(f"traefik access log ({log})")


def test_a_missing_host_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.log"
    with pytest.raises(Unreachable, match=f"no access log at {missing}"):
        route_health(RecordedDockerLogs([]), config_for(access_log_source="host_file", access_log_path=str(missing)))


def test_host_file_lines_keeps_the_last_lines_of_a_large_file(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("".join(f"line {i:06d} {'x' * 200}\n" for i in range(5000)))  # ~1 MB, many blocks
    lines = host_file_lines(log, 1234)
    assert len(lines) == 1234 and lines[0].startswith("line 003766") and lines[-1].startswith("line 004999")
    assert host_file_lines(log, 10_000)[0].startswith("line 000000")


def test_no_proxy_container_and_no_api_is_a_failure_that_says_what_to_set() -> None:
    health = route_health(RecordedDockerLogs([]), config_for(containers={"proxy": None}))
    assert health.unhealthy and "[docker.containers] proxy" in health.unhealthy[0]


# --- the dashboard (PRE-MON-05) -------------------------------------------------------------------
def check_dashboard(monitoring_checks: ModuleType, config: Any, evidence: Evidence) -> None:
    """PRE-MON-05 with its reading taken when the item asks, as the plugin does when nothing was prefetched."""
    reading = SimpleNamespace(result=lambda: dashboard_access(config))
    monitoring_checks.test_dashboard_reachable(config, reading, evidence)



def test_pre_mon_05_passes_when_the_dashboard_and_its_api_answer(monitoring_checks: ModuleType) -> None:
    evidence = Evidence()
    with FakeTraefikApi() as fake:
        check_dashboard(monitoring_checks, config_for(dashboard=f"{fake.url}/dashboard"), evidence)
    recorded = evidence.as_dict()
    assert recorded["status"] == 200 and recorded["final_url"].endswith("/dashboard/")
    assert recorded["version"] == "2.11.14" and recorded["version_url"] == f"{fake.url}/api/version"


def test_pre_mon_05_fails_when_the_dashboard_is_not_served(monitoring_checks: ModuleType) -> None:
    with FakeTraefikApi(dashboard=False) as fake:
        with pytest.raises(AssertionError, match=r"the dashboard http://127.0.0.1:\d+/dashboard answered 404"):
            check_dashboard(monitoring_checks, config_for(dashboard=f"{fake.url}/dashboard/"), Evidence())


def test_pre_mon_05_fails_when_the_page_loads_but_the_api_behind_it_does_not(monitoring_checks: ModuleType) -> None:
    with FakeTraefikApi(version=False) as fake:
        with pytest.raises(ProbeError) as caught:
            check_dashboard(monitoring_checks, config_for(dashboard=f"{fake.url}/dashboard/"), Evidence())
    assert caught.value.dependency == "proxy" and "/api/version answered 404" in str(caught.value)


def test_pre_mon_05_on_caddy_checks_only_the_page(monitoring_checks: ModuleType) -> None:
    with FakeTraefikApi(version=False) as fake:
        config = config_for(kind="caddy", dashboard=f"{fake.url}/dashboard/")
        evidence = Evidence()
        check_dashboard(monitoring_checks, config, evidence)
    assert evidence.as_dict()["version"] is None


def test_judge_version_wants_traefiks_version_field() -> None:
    assert judge_version({"Version": "3.2.1", "Codename": "saintnectaire", "startDate": "2026-11-28T07:58:03Z"}) == "3.2.1"
    assert judge_version({"version": "3.2.1"}) is None and judge_version([]) is None


# --- Caddy (the current platform): as before, and zero upstreams fails ----------------------------


CADDY_URL = "http://127.0.0.1:2019/reverse_proxy/upstreams"


def test_caddy_upstreams_without_failures_are_healthy() -> None:
    health = judge_caddy_upstreams([{"address": "127.0.0.1:8000", "num_requests": 2, "fails": 0},
                                    {"address": "127.0.0.1:3000", "num_requests": 0, "fails": 0}], CADDY_URL, [])
    assert health.unhealthy == [] and health.routes == 2


def test_caddy_upstream_failures_are_named() -> None:
    health = judge_caddy_upstreams([{"address": "127.0.0.1:8000", "num_requests": 0, "fails": 3}], CADDY_URL, [])
    assert health.unhealthy == ["127.0.0.1:8000 (3 failures)"]


def test_caddy_with_no_upstreams_is_a_failure() -> None:
    assert judge_caddy_upstreams([], CADDY_URL, []).unhealthy == [
        "Caddy reports no reverse_proxy upstreams: nothing is proxied"]


def test_caddy_expected_upstreams_are_checked_when_listed() -> None:
    health = judge_caddy_upstreams([{"address": "127.0.0.1:8000", "fails": 0}], CADDY_URL,
                                   ["127.0.0.1:8000", "127.0.0.1:3000"])
    assert health.unhealthy == ["expected upstreams missing: 127.0.0.1:3000 (Caddy has: 127.0.0.1:8000)"]


def test_a_caddy_answer_that_is_not_a_list_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="expected a list of upstreams"):
        judge_caddy_upstreams({"error": "not found"}, CADDY_URL, [])


# --- configuration --------------------------------------------------------------------------------


def test_proxy_defaults_follow_the_current_platform_and_the_runbook_era_by_kind() -> None:
    current = ProxyConfig()
    assert (current.kind, current.admin_url, current.expected_routers) == ("caddy", "http://127.0.0.1:2019", [])
    era = ProxyConfig(kind="traefik")
    assert era.admin_url is None and era.access_log_path == "/var/log/traefik/access.log"
    assert era.expected_routers == ["api", "api-http", "frontend", "frontend-http", "traefik-dashboard"]
    assert ProxyConfig(kind="traefik", expected_routers=[]).expected_routers == []


def test_a_relative_access_log_path_is_refused() -> None:
    with pytest.raises(ValidationError, match="access.log"):
        ProxyConfig(kind="traefik", access_log_path="access.log")


def test_a_load_balancer_with_no_server_fails_even_when_no_router_uses_it() -> None:
    routers, services = recorded_api("healthy")
    services.append({"loadBalancer": {"servers": []}, "status": "enabled", "name": "ranking@docker",
                     "provider": "docker"})
    judgement = traefik.judge_api(traefik.parse_routers(routers), traefik.parse_services(services),
                                  traefik.parse_overview(recorded_overview(routers, services)), [])
    assert judgement.unhealthy == ["service ranking@docker has no servers (and no router uses it)"]
