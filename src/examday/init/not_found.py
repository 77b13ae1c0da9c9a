"""What no compose file says, listed with the keys examday.toml takes for it: the public edge, the
exam, the accounts examday signs in as, the scratch database, staging's URL, the dashboard, the
alerts that must exist, the rehearsal's students. Without them the checklist leaves their items
unchecked (INCOMPLETE), so each is named for a person to set, or to declare not applicable."""

from __future__ import annotations

from examday.init.found import Discovery, Missing


def _m(keys: str, what: str) -> Missing:
    """``"a.b or a.c"`` -> the alternatives a.b, a.c."""
    return Missing(tuple(keys.split(" or ")), what)


def _password(section: str, whose: str) -> Missing:
    return _m(f"{section}.password_file or {section}.password_env", f"{whose}: a file holding only it, or the "
              "variable it is in; never the password itself")


def public_edge(found: Discovery) -> list[Missing]:
    via = found.values.get("api.base_url")
    written = f"; {via.value} is written meanwhile" if via else ""
    out = [_m("api.base_url", f"the public URL students use, through the TLS edge{written}")]
    if "api.prefix" in found.values:
        out.append(_m("api.prefix", f"the prefix clients use at that URL: a proxy that strips one, as the host Caddy "
                      f"strips /api, makes the backend's {found.values['api.prefix'].value} longer"))
    return out + [
        _m("api.ca_bundle", "the CA bundle that signs the public certificate, when this machine does not trust it"),
        _m("api.resolve", "names -> addresses, like curl --resolve, when this machine's DNS does not give them"),
        _m("tls.endpoints", "every public host:port whose certificate must outlast the exam; unset: the API's"),
        _m("dns.records", "the public names and the addresses each must resolve to, for PRE-INF-06"),
    ]


def exam() -> list[Missing]:
    return [
        _m("exam.id", "the exam's id, named in every record"),
        _m("exam.window_file or exam.starts_at + exam.ends_at", "when the exam runs: certificates must outlast it"),
        _m("exam.expected_students", "the opening login burst the per-address login limit is judged against "
           "by PRE-CFG-05"),
    ]


def accounts() -> list[Missing]:
    return [
        _m("operator.username", "an ADMIN account examday signs in as to read the exam-mode endpoint"),
        _password("operator", "its password"),
        _m("exam_mode.sources", 'add "http" once [operator] is set: the application\'s own report of its mode, '
           "for PRE-CFG-02"),
        _m("canary.username", "a dedicated student account: staging's flow and the recovery phase sign in as it"),
        _password("canary", "its password"),
        _m("canary.memory_file", "where the canary keeps its session id: one file every copy of this target shares"),
    ]


def backups() -> list[Missing]:
    return [_m("backup.restore_test_dsn_file or backup.restore_test_dsn_env",
               "a scratch database the restore test of PRE-INF-08 may overwrite, never the platform's own")]


def staging(found: Discovery) -> list[Missing]:
    twins = f"the twins {', '.join(f.value for f in found.staging.values())} were found; " if found.staging else ""
    return [
        _m("staging.api_base_url", f"{twins}the staging API's public URL, where a student's whole flow is tried "
           "by PRE-INF-07"),
        _m("staging.basic_auth_username", "the HTTP basic auth user in front of staging, if it has one"),
        _password("staging", "that basic auth password"),
    ]


def observability(found: Discovery) -> list[Missing]:
    out = [
        _m("dashboard.url", "the on-call dashboard's URL, for PRE-MON-05"),
        _m("dashboard.username", "its basic auth user, if it has one"),
        _password("dashboard", "its password"),
    ]
    if "prometheus.url" in found.values:
        out.append(_m("prometheus.expected_alerts", "the alert rules that must be loaded; unset: any one rule"))
    elif not _already(found, "prometheus.url"):
        out.append(_m("prometheus.url", "the Prometheus that scrapes the platform, for PRE-MON-03 and PRE-MON-06"))
    if "alertmanager.url" in found.values:
        out.append(_m("alertmanager.receiver_record_url", "where the receiver's own record of delivered alerts is "
                      "read, if it keeps one; else Alertmanager's notification counters"))
    elif not _already(found, "alertmanager.url"):
        out.append(_m("alertmanager.url", "the Alertmanager that pages on-call, for PRE-MON-04 and PRE-MON-07"))
    return out


def rehearsal(found: Discovery) -> list[Missing]:
    backend = found.values.get("api.metrics_base_url")
    straight = f": the backend's own port {backend.value}, where a host proxy sends it" if backend else ""
    return [
        _m("rehearsal.allowed + rehearsal.allowed_by + rehearsal.allowed_because",
           "the drills stop and kill containers: only on staging or a sandbox, saying who allowed it and why"),
        _m("rehearsal.username_pattern + rehearsal.first_student + rehearsal.students",
           "the numbered student accounts the drills sign in as"),
        _password("rehearsal", "their one password"),
        _m("rehearsal.base_url", f"where the drills' load goes{straight}"),
        _m("rehearsal.client_network", "the network each simulated student's forwarded address is drawn from"),
    ]


def _already(found: Discovery, key: str) -> bool:
    return any(key in missing.keys for missing in found.missing)


def what_compose_cannot_say(found: Discovery) -> list[Missing]:
    return [*public_edge(found), *exam(), *accounts(), *backups(), *staging(found), *observability(found),
            *rehearsal(found)]
