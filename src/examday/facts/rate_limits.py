"""Are the rate limits appropriate for the exam's opening login burst?

The real platform (docs/platform.md) hard-codes its limits, counted in Redis: login 5/min per IP and
10/min per email, signup 3/min per IP, session create and submit 10/min per user; the RL_* env
settings drive only refresh (60/hour per user). The client IP is the socket's address. So the
trap is not a setting: it is whom the backend sees a login come from.
Whom uvicorn trusts for X-Forwarded-For is read in facts/uvicorn_trust.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from examday.config import ExamdayConfig
from examday.facts.ports import DockerReads
from examday.text import parse_flag
from examday.facts.uvicorn_trust import ProxyTrust, effective_trust, parse_uvicorn_argv
from examday.facts.processes import ProcessLike, uvicorn_trees
from examday.probes.errors import ProbeError, Unreachable


# -- uvicorn's command line --------------------------------------------------------------------


# -- whom the backend trusts -------------------------------------------------------------------


@dataclass(frozen=True)
class ProxySource:
    """Where the backend sees the proxy's connections come from."""

    addresses: tuple[str, ...]
    how: str


def judge_trust(trust: ProxyTrust | None, source: ProxySource) -> bool | None:
    """True: the backend sees each client's own address; False: it sees the proxy's; None: unknown."""
    if trust is None:
        return None
    if not trust.proxy_headers:
        return False
    if trust.trusts_everyone:
        return True
    if source.addresses:
        return all(trust.trusts(address) for address in source.addresses)
    # The proxy's address is unknown. A host proxy through a published port, or a proxy
    # container, never arrives from loopback: a loopback-only list trusts neither.
    return False if trust.loopback_only else None


# -- the burst against the limit ---------------------------------------------------------------

@dataclass(frozen=True)
class LoginBurst:
    students: int
    window_minutes: float
    students_per_address: int

    def per_bucket_per_minute(self, shared: bool) -> float:
        """Logins a minute into one bucket, spread evenly over the window (the opening is peakier)."""
        in_bucket = self.students if shared else min(self.students_per_address, self.students)
        return in_bucket / self.window_minutes


@dataclass(frozen=True)
class RateLimitJudgement:
    behind_proxy: bool
    server: str  # the backend's server command line, as read
    trust: ProxyTrust | None
    source: ProxySource
    sees_clients: bool | None  # judge_trust's answer
    login_limit_per_minute: float | None  # per address
    burst: LoginBurst | None
    bucket_rate: float | None  # logins a minute into one bucket at the burst
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()
    env_settings: Mapping[str, str | None] = field(default_factory=dict)

    def as_evidence(self) -> dict[str, Any]:
        return {
            "behind_proxy": self.behind_proxy, "backend_server": self.server[:200],
            "trust": self.trust.as_evidence() if self.trust else None,
            "proxy_addresses": list(self.source.addresses), "proxy_addresses_from": self.source.how,
            "backend_sees_each_client": self.sees_clients,
            "login_limit_per_minute_per_address": self.login_limit_per_minute,
            "burst": None if self.burst is None else {
                "students": self.burst.students, "window_minutes": self.burst.window_minutes,
                "students_per_address": self.burst.students_per_address},
            "logins_per_minute_per_bucket": None if self.bucket_rate is None else round(self.bucket_rate, 2),
            "env_settings": dict(self.env_settings), "notes": list(self.notes),
        }


def judge_login_limits(*, behind_proxy: bool, server: str, trust: ProxyTrust | None, source: ProxySource,
                       login_limit_per_minute: float | None, burst: LoginBurst | None,
                       notes: Iterable[str] = (), env_problems: Iterable[str] = (),
                       env_settings: Mapping[str, str | None] | None = None) -> RateLimitJudgement:
    sees_clients = judge_trust(trust, source) if behind_proxy else True
    shared = behind_proxy and sees_clients is not True
    problems = list(env_problems)
    notes = list(notes)
    fix = _fix(trust, source)
    why = _why_shared(trust, source, sees_clients, server)
    rate = burst.per_bucket_per_minute(shared) if burst is not None else None
    if login_limit_per_minute is None:
        notes.append("no per-address login limit in [platform] rate_limit_policies: nothing to judge")
    elif burst is not None and rate is not None:
        if rate > login_limit_per_minute:
            problems.append(_over_limit(burst, rate, login_limit_per_minute, shared, why, fix))
    elif shared:
        problems.append(f"{why}: every student shares one bucket of {login_limit_per_minute:g} logins a minute; "
                        f"fix: {fix}. The login burst could not be judged (set [exam] expected_students)")
    else:
        notes.append("the login burst could not be judged: set [exam] expected_students "
                     "(and students_per_address for students behind one NAT)")
    if behind_proxy and trust is not None and trust.loopback_only and source.how.startswith("unknown"):
        notes.append(f"forwarded-allow-ips is {trust.allow_ips} only, with a proxy in front: a host proxy "
                     "reaches the container from the Docker gateway, never from loopback")
    if behind_proxy and trust is not None and trust.trusts_everyone:
        notes.append("forwarded-allow-ips is *: any client that reaches the backend's port directly can "
                     "choose its own address (keep the port on 127.0.0.1)")
    return RateLimitJudgement(behind_proxy, server, trust, source, sees_clients, login_limit_per_minute, burst,
                              rate, tuple(problems), tuple(notes), dict(env_settings or {}))


def _why_shared(trust: ProxyTrust | None, source: ProxySource, sees_clients: bool | None, server: str) -> str:
    if trust is None:
        return (f"examday cannot tell whether the backend trusts the proxy's X-Forwarded-For (its server is "
                f"not the uvicorn CLI: {server[:80] or 'no server process found'}), so it counts the worst case")
    where = f"from {', '.join(source.addresses)}" if source.addresses else "from the proxy's address"
    if not trust.proxy_headers:
        return f"the backend runs with proxy headers off ({trust.proxy_headers_from}): it sees every login {where}"
    if sees_clients is None:
        return (f"the backend trusts X-Forwarded-For from {trust.allow_ips} only and the proxy's address is "
                "unknown (set [platform] proxy_addresses), so examday counts the worst case")
    return (f"the backend sees every login {where}, which uvicorn does not trust with X-Forwarded-For "
            f"(forwarded-allow-ips {trust.allow_ips}, {trust.allow_ips_from})")


def _fix(trust: ProxyTrust | None, source: ProxySource) -> str:
    target = ",".join(source.addresses) if source.addresses else "<the address the proxy connects from>"
    return f"add `--proxy-headers --forwarded-allow-ips={target}` to uvicorn's command and restart the backend"


def _over_limit(burst: LoginBurst, rate: float, limit: float, shared: bool, why: str, fix: str) -> str:
    figures = (f"{rate:.1f} logins a minute into one bucket at the opening burst ({burst.students} students over "
               f"{burst.window_minutes:g} min) against a limit of {limit:g} a minute per address")
    if shared:
        return f"{why}: all students share one login bucket: {figures}; fix: {fix}"
    return (f"{burst.students_per_address} students behind one address (students_per_address): {figures}; "
            "the limit is the platform's own (hard-coded): spread the logins over a longer window, "
            "or give the hall more addresses")


def env_bound_problems(env: Mapping[str, str], bounds: Mapping[str, tuple[float, float]]) -> list[str]:
    """[platform] rate_limits, for platforms whose limits are env settings."""
    problems = []
    for key, (low, high) in bounds.items():
        value = env.get(key)
        if value is None:
            problems.append(f"{key} is not set in the backend's environment")
            continue
        try:
            number = float(value)
        except ValueError:
            problems.append(f"{key}={value} is not a number")
            continue
        if not low <= number <= high:
            problems.append(f"{key}={value} is outside [{low:g}, {high:g}]")
    return problems


# -- gathering the readings (I/O) --------------------------------------------------------------

def is_behind_proxy(config: ExamdayConfig) -> bool:
    if config.platform.behind_proxy is not None:
        return config.platform.behind_proxy
    return config.docker.containers.proxy is not None or "proxy" in config.model_fields_set


def server_command(processes: Sequence[ProcessLike]) -> str:
    """The uvicorn master's command line, else the topmost process's."""
    by_pid = {process.pid: process for process in processes}
    trees = uvicorn_trees(processes)
    if trees:
        return by_pid[trees[0].master_pid].cmdline
    roots = [p for p in processes if p.ppid not in by_pid]
    return roots[0].cmdline if roots else ""


def proxy_source(docker: DockerReads, config: ExamdayConfig) -> ProxySource:
    """Where the backend sees the proxy connect from: configured, else read from Docker."""
    if config.platform.proxy_addresses:
        return ProxySource(tuple(config.platform.proxy_addresses), "configured ([platform] proxy_addresses)")
    backend = _networks(docker, config.docker.containers.backend)
    if backend is None:
        return ProxySource((), "unknown (the backend's networks could not be read)")
    if "host" in backend:
        return ProxySource(("127.0.0.1",), "the backend shares the host's network: a host proxy comes from loopback")
    proxy_name = config.docker.containers.proxy
    if proxy_name:
        proxy = _networks(docker, proxy_name) or {}
        shared = [proxy[name][0] for name in sorted(set(proxy) & set(backend)) if proxy[name][0]]
        if shared:
            return ProxySource(tuple(shared), f"{proxy_name}'s address on the network it shares with the backend")
        return ProxySource((), f"unknown ({proxy_name} shares no network with the backend)")
    gateways = tuple(sorted({gateway for _, gateway in backend.values() if gateway}))
    if gateways:
        return ProxySource(gateways, "the backend network's gateway: a host proxy reaches the published "
                                     "port from there")
    return ProxySource((), "unknown (the backend's network has no gateway)")


def _networks(docker: DockerReads, name: str | None) -> dict[str, tuple[str, str]] | None:
    """network -> (address, gateway) of a container. The docker probe's observation carries
    addresses but no gateways, so this reads the engine's inspect output; None when it cannot."""
    if not name:
        return None
    try:
        attrs = docker.client.api.inspect_container(name)
    except Exception:  # absent, or the engine refused: the caller says "unknown"
        return None
    networks = ((attrs.get("NetworkSettings") or {}).get("Networks")) or {}
    if (attrs.get("HostConfig") or {}).get("NetworkMode") == "host":
        return {"host": ("", "")}
    return {net: (info.get("IPAddress") or "", info.get("Gateway") or "") for net, info in networks.items()}


def login_limit(config: ExamdayConfig) -> float | None:
    per_address = [policy.per_minute for policy in config.platform.rate_limit_policies
                   if policy.route == "login" and policy.per == "ip"]
    return min(per_address) if per_address else None


def login_burst(config: ExamdayConfig) -> LoginBurst | None:
    exam = config.exam
    if exam is None or exam.expected_students is None:
        return None
    return LoginBurst(exam.expected_students, exam.login_window_minutes, exam.students_per_address)


def observe_login_limits(docker: DockerReads, config: ExamdayConfig) -> RateLimitJudgement:
    backend = config.docker.containers.backend
    if backend is None:
        raise ValueError("no backend container is configured")
    container = docker.container(backend)
    env = container.env
    server = server_command(docker.processes(backend))
    args = parse_uvicorn_argv(server)
    trust = effective_trust(args, env) if args is not None else None
    behind = is_behind_proxy(config)
    try:
        source = proxy_source(docker, config) if behind else ProxySource((), "no proxy in front")
    except Unreachable:
        raise
    except ProbeError:
        source = ProxySource((), "unknown (Docker did not say)")
    allowed = set(config.platform.env_allowlist)
    shown = ("FORWARDED_ALLOW_IPS", "UVICORN_FORWARDED_ALLOW_IPS", "UVICORN_PROXY_HEADERS", "REDIS_REQUIRED",
             *config.platform.rate_limits)
    env_settings = {key: (env.get(key) if key in allowed else ("[set]" if key in env else None))
                    for key in shown}
    notes = [_redis_note(env.get("REDIS_REQUIRED") if "REDIS_REQUIRED" in allowed else None)]
    return judge_login_limits(behind_proxy=behind, server=server, trust=trust, source=source,
                              login_limit_per_minute=login_limit(config), burst=login_burst(config), notes=notes,
                              env_problems=env_bound_problems(env, config.platform.rate_limits),
                              env_settings=env_settings)


def _redis_note(redis_required: str | None) -> str:
    required = parse_flag(redis_required)
    base = ("with Redis down the limiter fails open (hard-coded, no setting), but refresh goes through a "
            "limiter that fails closed when REDIS_REQUIRED is on: refreshes get 429 once the 15-minute "
            "access tokens expire")
    if required is None:
        return f"{base} (REDIS_REQUIRED is not set in the backend's env; prod forces it on)"
    return f"{base} (REDIS_REQUIRED={redis_required}: {'fails closed' if required else 'fails open'})"
