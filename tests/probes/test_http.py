"""HttpProbe against real HTTP and TLS servers on loopback."""

from __future__ import annotations

import uuid

import pytest

from examday.config import ApiConfig
from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable
from examday.probes.http import HttpProbe
from examday.probes.platform_api import parse_exam_mode_body
from tests.fixtures.network_servers import API_HOST, LOOPBACK, TlsApi


def canned_probe(base_url: str, shape: str = "", **options: object) -> HttpProbe:
    prefix = f"/{shape}/v1" if shape else "/v1"
    return HttpProbe(base_url, prefix=prefix, timeout_seconds=2, **options)  # type: ignore[arg-type]


def resolving_probe(tls_api: TlsApi, certificate: str, **options: object) -> HttpProbe:
    """A probe for https://api.exam.localhost:PORT that connects to 127.0.0.1 (curl --resolve)."""
    return HttpProbe(
        tls_api.url(certificate), ca_bundle=tls_api.ca_pem, resolve={API_HOST: LOOPBACK}, timeout_seconds=2, **options  # type: ignore[arg-type]
    )


# --- readiness shapes ---------------------------------------------------------------------------


def test_ready_ok_is_parsed_with_every_component(canned_api: str) -> None:
    with canned_probe(canned_api, "ok") as probe:
        ready = probe.ready()
    assert ready.status == "ok" and ready.is_ok
    assert set(ready.checks) == {"db", "redis"}
    assert ready.failing_components() == {}
    assert ready.request_id == ready.observation.request_id


def test_ready_degraded_names_the_failing_component(canned_api: str) -> None:
    with canned_probe(canned_api, "degraded") as probe:
        ready = probe.ready()
    assert ready.status == "degraded" and not ready.is_ok
    failing = ready.failing_components()
    assert list(failing) == ["redis"]
    assert failing["redis"].message == "Connection refused"


def test_ready_down_with_http_200_is_not_ok(canned_api: str) -> None:
    with canned_probe(canned_api, "down") as probe:
        ready = probe.ready()
    assert ready.observation.status == 200
    assert ready.status == "down" and not ready.is_ok
    assert ready.checks["db"].status == "down"


@pytest.mark.parametrize("shape", ["garbage", "nochecks", "badcheck", "list", "missing"])
def test_ready_body_of_another_shape_is_a_bad_response(canned_api: str, shape: str) -> None:
    with canned_probe(canned_api, shape) as probe, pytest.raises(BadResponse) as raised:
        probe.ready()
    assert raised.value.dependency == "api"
    assert f"/{shape}/v1/ready" in str(raised.value)
    assert "api.ready_path" in str(raised.value)


def test_ready_evidence_is_plain_data(canned_api: str) -> None:
    with canned_probe(canned_api, "degraded") as probe:
        evidence = probe.ready().as_evidence()
    assert evidence["checks"]["redis"] == {"status": "down", "message": "Connection refused"}
    assert evidence["http"]["status"] == 200


# --- observations and headers ---------------------------------------------------------------------


def test_get_records_status_headers_json_and_a_fresh_request_id(canned_api: str) -> None:
    with canned_probe(canned_api) as probe:
        first = probe.health()
        second = probe.health()
    assert first.status == 200 and first.json == {"status": "ok"}
    assert first.url == f"{canned_api}/health"
    assert str(uuid.UUID(first.request_id)) == first.request_id
    assert first.request_id != second.request_id
    assert first.echoed_request_id == first.request_id
    assert {"x-response-time-ms", "x-db-queries", "x-db-time-ms"} <= set(first.headers)
    assert first.elapsed_ms >= 0


def test_paths_without_a_slash_are_under_the_prefix(canned_api: str) -> None:
    with canned_probe(canned_api) as probe:
        assert str(probe.url_for("ready")) == f"{canned_api}/v1/ready"
        assert str(probe.url_for("/health")) == f"{canned_api}/health"


def test_http_errors_are_observations_not_exceptions(canned_api: str) -> None:
    with canned_probe(canned_api) as probe:
        observation = probe.get("/no/such/page")
    assert observation.status == 404
    assert observation.json == {"detail": "Not Found"}


def test_the_body_read_is_bounded(canned_api: str) -> None:
    with canned_probe(canned_api, max_body_bytes=10_000, excerpt_chars=100) as probe:
        observation = probe.get("/big")
    assert observation.truncated
    assert len(observation.text) == 100
    assert observation.json is None


def test_secret_headers_are_redacted(canned_api: str) -> None:
    with canned_probe(canned_api) as probe:
        observation = probe.get("/cookie")
    assert observation.headers["set-cookie"] == "[redacted]"
    assert "very-secret" not in str(observation.as_evidence())


def test_exam_mode_reads_the_flag_and_the_key_it_came_from(canned_api: str) -> None:
    with canned_probe(canned_api, "on", exam_mode_path="system/exam-mode") as probe:
        status = probe.exam_mode()
    assert status.enabled is True and status.source_key == "exam_mode"
    assert status.reported_source == "system_flags"
    assert status.as_evidence()["http"]["status"] == 200
    with canned_probe(canned_api, "off", exam_mode_path="system/exam-mode") as probe:
        assert probe.exam_mode().enabled is False


def test_exam_mode_unconfigured_or_missing_endpoint_says_what_to_set(canned_api: str) -> None:
    with canned_probe(canned_api) as probe, pytest.raises(ProbeError, match="api.exam_mode_path"):
        probe.exam_mode()
    with canned_probe(canned_api, exam_mode_path="no/such") as probe, pytest.raises(BadResponse, match="HTTP 404"):
        probe.exam_mode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [(True, (True, None)), ({"enabled": "TRUE"}, (True, "enabled")), ({"value": False}, (False, "value")), ({"x": 1}, None), ("on", None)],
)
def test_exam_mode_body_shapes(body: object, expected: object) -> None:
    assert parse_exam_mode_body(body) == expected


# --- TLS, resolve and SNI -----------------------------------------------------------------------------


def test_resolve_keeps_host_header_and_sni_on_the_real_name(tls_api: TlsApi) -> None:
    with resolving_probe(tls_api, "valid") as probe:
        observation = probe.get("/echo")
    port = tls_api.ports["valid"]
    assert observation.url == f"https://{API_HOST}:{port}/echo"
    assert observation.json["host"] == f"{API_HOST}:{port}"
    assert observation.json["sni"] == API_HOST
    assert observation.json["request_id"] == observation.request_id


def test_resolve_still_verifies_the_hostname(tls_api: TlsApi) -> None:
    # The server's certificate is signed by the trusted CA but for another name:
    # connecting by IP must not skip the hostname check.
    with resolving_probe(tls_api, "wrong_name") as probe, pytest.raises(Unreachable) as raised:
        probe.health()
    message = str(raised.value)
    assert "certificate was not accepted" in message
    assert "mismatch" in message.lower() or "not valid for" in message
    assert API_HOST in message


def test_a_certificate_from_an_unknown_ca_is_refused(tls_api: TlsApi) -> None:
    with resolving_probe(tls_api, "self_signed") as probe, pytest.raises(Unreachable, match="api.ca_bundle"):
        probe.health()


def test_without_the_ca_bundle_the_local_ca_is_not_trusted(tls_api: TlsApi) -> None:
    probe = HttpProbe(tls_api.url("valid"), resolve={API_HOST: LOOPBACK}, timeout_seconds=2)
    with probe, pytest.raises(Unreachable, match="certificate was not accepted"):
        probe.health()


def test_from_config_builds_a_working_probe(tls_api: TlsApi) -> None:
    api = ApiConfig(base_url=tls_api.url("valid"), ca_bundle=tls_api.ca_pem, resolve={API_HOST: LOOPBACK}, timeout_seconds=2)
    with HttpProbe.from_config(api) as probe:
        assert probe.ready().is_ok


# --- failures ---------------------------------------------------------------------------------------------


def test_connection_refused_is_unreachable_naming_the_url(closed_port: int) -> None:
    url = f"http://{LOOPBACK}:{closed_port}"
    with HttpProbe(url, timeout_seconds=2) as probe, pytest.raises(Unreachable) as raised:
        probe.health()
    assert f"{url}/health" in str(raised.value)
    assert raised.value.dependency == "api"


def test_a_silent_server_is_a_timeout(tcp_black_hole) -> None:
    with HttpProbe(f"http://{LOOPBACK}:{tcp_black_hole.port}", timeout_seconds=0.3) as probe:
        with pytest.raises(ProbeTimeout) as raised:
            probe.health()
    assert "0.3s" in str(raised.value)


def test_plain_http_to_a_tls_port_says_the_connection_was_dropped(tls_api: TlsApi) -> None:
    port = tls_api.ports["valid"]
    # The TLS server resets or closes the connection: either way no HTTP answer came back.
    with HttpProbe(f"http://{LOOPBACK}:{port}", timeout_seconds=2) as probe:
        with pytest.raises((Unreachable, BadResponse)) as raised:
            probe.health()
    assert "closed or reset" in str(raised.value) or "valid HTTP" in str(raised.value)
