"""PRE-CFG-05's judgement: whom the backend sees a login come from, and the burst against the limit."""

from __future__ import annotations

import pytest

from examday.config.model import ExamdayConfig
from examday.facts.rate_limits import (
    LoginBurst,
    ProxySource,
    env_bound_problems,
    is_behind_proxy,
    judge_login_limits,
    judge_trust,
    login_burst,
    login_limit,
    server_command,
)
from examday.facts.uvicorn_trust import UvicornArgs, effective_trust, parse_uvicorn_argv
from examday.probes.host import ProcessInfo

# docs/platform.md's backend: no --proxy-headers, no --forwarded-allow-ips.
REAL_PLATFORM = ("/opt/venv/bin/python /opt/venv/bin/uvicorn app.main:app --host 0.0.0.0 --port 8000 --workers 5 "
                 "--timeout-keep-alive 5 --limit-concurrency 200 --limit-max-requests 10000")
GATEWAY = ProxySource(("172.18.0.1",), "the backend network's gateway")
HALL = LoginBurst(students=400, window_minutes=10, students_per_address=1)


def config(**sections: object) -> ExamdayConfig:
    return ExamdayConfig.model_validate({"target": {"name": "t", "kind": "staging"},
                                         "api": {"base_url": "https://api.example.test"}, **sections})


# -- uvicorn's command line --------------------------------------------------------------------

@pytest.mark.parametrize("cmdline, expected", [
    (REAL_PLATFORM, UvicornArgs(None, None)),
    ("uvicorn app.main:app --proxy-headers --forwarded-allow-ips=172.18.0.1", UvicornArgs(True, "172.18.0.1")),
    ("python -m uvicorn app.main:app --forwarded-allow-ips 10.0.0.0/8,127.0.0.1", UvicornArgs(None, "10.0.0.0/8,127.0.0.1")),
    ("/usr/local/bin/python /usr/local/bin/uvicorn app.main:app --no-proxy-headers", UvicornArgs(False, None)),
    ("uvicorn app.main:app --forwarded-allow-ips=1.2.3.4 --forwarded-allow-ips=* --no-proxy-headers --proxy-headers",
     UvicornArgs(True, "*")),  # click: the last one wins
])
def test_uvicorn_proxy_options_are_read(cmdline: str, expected: UvicornArgs) -> None:
    assert parse_uvicorn_argv(cmdline) == expected


@pytest.mark.parametrize("cmdline", [
    "gunicorn -k uvicorn.workers.UvicornWorker app.main:app --forwarded-allow-ips=*",
    "/bin/sh -c uvicorn app.main:app --proxy-headers",
    "python -m app.main",
    "",
])
def test_anything_but_uvicorns_cli_is_not_read(cmdline: str) -> None:
    assert parse_uvicorn_argv(cmdline) is None


def test_the_uvicorn_master_is_the_server_read() -> None:
    spawn = "/opt/venv/bin/python -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5)"
    processes = [ProcessInfo(10, 0, "root", "/bin/sh /app/entrypoint.sh"),
                 ProcessInfo(11, 10, "root", REAL_PLATFORM), ProcessInfo(12, 11, "root", spawn)]
    assert server_command(processes) == REAL_PLATFORM
    assert server_command([ProcessInfo(1, 0, "root", "gunicorn: master [app.main:app]")]).startswith("gunicorn")


# -- whom uvicorn trusts -----------------------------------------------------------------------

def test_uvicorns_defaults_trust_loopback_only() -> None:
    trust = effective_trust(UvicornArgs(None, None), {})
    assert trust.proxy_headers and trust.proxy_headers_from == "uvicorn's default (on)"
    assert trust.loopback_only and trust.allow_ips_from == "uvicorn's default"
    assert trust.trusts("127.0.0.1") and not trust.trusts("172.18.0.1")


def test_the_command_line_wins_over_uvicorn_env_which_wins_over_forwarded_allow_ips() -> None:
    env = {"FORWARDED_ALLOW_IPS": "10.1.0.0/16", "UVICORN_FORWARDED_ALLOW_IPS": "10.2.0.0/16",
           "UVICORN_PROXY_HEADERS": "false"}
    assert effective_trust(UvicornArgs(None, None), {"FORWARDED_ALLOW_IPS": "10.1.0.0/16"}).trusts("10.1.2.3")
    from_env = effective_trust(UvicornArgs(None, None), env)
    assert (from_env.allow_ips, from_env.proxy_headers) == ("10.2.0.0/16", False)
    assert not from_env.trusts("10.2.0.1")  # proxy headers off: nobody is trusted
    from_cli = effective_trust(UvicornArgs(True, "172.18.0.1"), env)
    assert from_cli.trusts("172.18.0.1") and from_cli.allow_ips_from == "command line"


def test_star_and_networks_and_literals() -> None:
    assert effective_trust(UvicornArgs(None, "*"), {}).trusts("203.0.113.9")
    trust = effective_trust(UvicornArgs(None, "172.16.0.0/12, /run/caddy.sock"), {})
    assert trust.trusts("172.18.0.1") and not trust.trusts("10.0.0.1") and trust.trusts("/run/caddy.sock")
    assert not trust.loopback_only


def test_the_proxys_address_decides() -> None:
    default = effective_trust(UvicornArgs(None, None), {})
    assert judge_trust(default, GATEWAY) is False
    assert judge_trust(effective_trust(UvicornArgs(True, "172.18.0.1"), {}), GATEWAY) is True
    assert judge_trust(default, ProxySource(("127.0.0.1",), "host network")) is True
    # the address unknown: a loopback-only list trusts no proxy that is not on loopback
    assert judge_trust(default, ProxySource((), "unknown")) is False
    assert judge_trust(effective_trust(UvicornArgs(None, "10.9.0.4"), {}), ProxySource((), "unknown")) is None
    assert judge_trust(None, GATEWAY) is None


# -- the burst against the limit ---------------------------------------------------------------

def judge(cmdline: str = REAL_PLATFORM, burst: LoginBurst | None = HALL, behind_proxy: bool = True,
          source: ProxySource = GATEWAY, env: dict[str, str] | None = None):
    args = parse_uvicorn_argv(cmdline)
    trust = effective_trust(args, env or {}) if args is not None else None
    return judge_login_limits(behind_proxy=behind_proxy, server=cmdline, trust=trust, source=source,
                              login_limit_per_minute=5.0, burst=burst)


def test_the_real_platform_puts_the_whole_hall_in_one_bucket() -> None:
    judgement = judge()
    (problem,) = judgement.problems
    assert judgement.sees_clients is False and judgement.bucket_rate == pytest.approx(40.0)
    assert "all students share one login bucket" in problem
    assert "40.0 logins a minute" in problem and "limit of 5 a minute per address" in problem
    assert "--proxy-headers --forwarded-allow-ips=172.18.0.1" in problem
    assert "172.18.0.1" in problem and "127.0.0.1,::1" in problem


def test_adding_only_proxy_headers_changes_nothing() -> None:
    # uvicorn's proxy headers are on by default: the trap is whom they are trusted from.
    assert judge(REAL_PLATFORM + " --proxy-headers").problems


def test_trusting_the_gateway_gives_each_student_a_bucket() -> None:
    judgement = judge(REAL_PLATFORM + " --proxy-headers --forwarded-allow-ips=172.18.0.1")
    assert judgement.problems == () and judgement.bucket_rate == pytest.approx(0.1)
    assert judge(REAL_PLATFORM, env={"FORWARDED_ALLOW_IPS": "172.16.0.0/12"}).problems == ()


@pytest.mark.parametrize("per_address, over", [(40, False), (50, False), (60, True)])
def test_an_exam_hall_behind_one_nat_shares_a_bucket(per_address: int, over: bool) -> None:
    trusted = REAL_PLATFORM + " --forwarded-allow-ips=172.18.0.1"
    judgement = judge(trusted, burst=LoginBurst(400, 10, per_address))
    assert bool(judgement.problems) is over
    if over:
        assert "60 students behind one address" in judgement.problems[0]
        assert "6.0 logins a minute" in judgement.problems[0]


def test_a_small_exam_fits_even_in_one_bucket() -> None:
    judgement = judge(burst=LoginBurst(30, 10, 1))
    assert judgement.problems == () and judgement.bucket_rate == pytest.approx(3.0)


def test_without_expected_students_only_the_missing_trust_fails() -> None:
    (problem,) = judge(burst=None).problems
    assert "one bucket of 5 logins a minute" in problem and "set [exam] expected_students" in problem
    trusted = judge(REAL_PLATFORM + " --forwarded-allow-ips=172.18.0.1", burst=None)
    assert trusted.problems == ()
    assert any("could not be judged" in note for note in trusted.notes)


def test_without_a_proxy_in_front_each_client_has_its_own_address() -> None:
    judgement = judge(behind_proxy=False, source=ProxySource((), "no proxy in front"))
    assert judgement.problems == () and judgement.sees_clients is True


def test_a_server_examday_cannot_read_counts_the_worst_case() -> None:
    (problem,) = judge("gunicorn -k uvicorn.workers.UvicornWorker app.main:app").problems
    assert "cannot tell whether the backend trusts" in problem and "40.0 logins a minute" in problem


def test_a_loopback_only_list_with_an_unknown_proxy_is_flagged() -> None:
    judgement = judge(source=ProxySource((), "unknown (the backend's networks could not be read)"))
    assert judgement.problems and any("never from loopback" in note for note in judgement.notes)


def test_env_bounds_for_platforms_whose_limits_are_settings() -> None:
    bounds = {"LOGIN_PER_MINUTE": (10.0, 100.0), "API_PER_MINUTE": (60.0, 6000.0), "OTHER": (1.0, 2.0)}
    problems = env_bound_problems({"LOGIN_PER_MINUTE": "5", "API_PER_MINUTE": "many"}, bounds)
    assert problems == ["LOGIN_PER_MINUTE=5 is outside [10, 100]", "API_PER_MINUTE=many is not a number",
                        "OTHER is not set in the backend's environment"]


# -- from the configuration --------------------------------------------------------------------

def test_the_defaults_are_the_platforms_policies() -> None:
    defaults = config()
    assert login_limit(defaults) == 5.0 and login_burst(defaults) is None
    policies = {(p.route, p.per): (p.limit, p.window_seconds) for p in defaults.platform.rate_limit_policies}
    assert policies == {("login", "ip"): (5, 60), ("login", "email"): (10, 60), ("signup", "ip"): (3, 60),
                        ("session_create", "user"): (10, 60), ("submit", "user"): (10, 60),
                        ("refresh", "user"): (60, 3600)}
    assert defaults.platform.rate_limits == {} and not is_behind_proxy(defaults)


def test_the_burst_and_the_proxy_come_from_the_configuration() -> None:
    exam = {"id": "x", "starts_at": "2026-06-01T09:00:00+02:00", "ends_at": "2026-06-01T12:00:00+02:00",
            "expected_students": 400, "login_window_minutes": 15, "students_per_address": 30}
    configured = config(exam=exam, proxy={"kind": "caddy"},
                        platform={"rate_limit_policies": [{"route": "login", "per": "ip", "limit": 20,
                                                           "window_seconds": 120}]})
    assert login_burst(configured) == LoginBurst(400, 15, 30)
    assert login_limit(configured) == 10.0 and is_behind_proxy(configured)
    assert is_behind_proxy(config(docker={"containers": {"proxy": "exam_platform_traefik"}}))
    assert not is_behind_proxy(config(proxy={"kind": "caddy"}, platform={"behind_proxy": False}))
