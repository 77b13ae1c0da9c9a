"""inspect_certificate against real TLS servers on loopback, with certificates from a local CA."""

from __future__ import annotations

import datetime as dt

import pytest

from examday.probes.errors import ProbeTimeout, Unreachable
from examday.probes.tls import inspect_certificate
from tests.fixtures.network_servers import API_HOST, LOOPBACK, SITE_HOST, WRONG_HOST, TlsApi


def inspect(tls_api: TlsApi, certificate: str, host: str = API_HOST, **options: object):  # type: ignore[no-untyped-def]
    return inspect_certificate(
        host, tls_api.ports[certificate], tls_api.ca_pem, connect_ip=LOOPBACK, timeout=2, **options  # type: ignore[arg-type]
    )


def test_a_valid_certificate_is_verified_and_described(tls_api: TlsApi) -> None:
    seen = inspect(tls_api, "valid")
    assert seen.verified and seen.verify_error is None and seen.hostname_matches
    assert seen.subject_cn == API_HOST
    assert seen.sans == [API_HOST, SITE_HOST]
    assert "examday test CA" in seen.issuer
    assert seen.not_after == tls_api.pki.valid.not_after
    assert 89 < seen.days_left <= 90
    assert seen.not_before < seen.observed_at < seen.not_after


def test_the_second_name_on_the_certificate_matches_too(tls_api: TlsApi) -> None:
    assert inspect(tls_api, "valid", host=SITE_HOST).hostname_matches


def test_a_certificate_expiring_in_three_days_is_trusted_but_short(tls_api: TlsApi) -> None:
    seen = inspect(tls_api, "expiring")
    assert seen.verified
    assert 2.9 < seen.days_left <= 3
    exam_end_plus_margin = seen.observed_at + dt.timedelta(days=7)
    assert seen.days_left_at(exam_end_plus_margin) < 0


def test_a_wrong_name_is_reported_with_the_certificate_served(tls_api: TlsApi) -> None:
    seen = inspect(tls_api, "wrong_name")
    assert not seen.verified and not seen.hostname_matches
    assert "mismatch" in (seen.verify_error or "").lower()
    assert seen.sans == [WRONG_HOST]  # what was actually served, fetched by the unverified handshake


def test_an_untrusted_ca_is_reported_while_the_name_still_matches(tls_api: TlsApi) -> None:
    seen = inspect(tls_api, "self_signed")
    assert not seen.verified
    assert "self-signed" in (seen.verify_error or "") or "self signed" in (seen.verify_error or "")
    assert seen.hostname_matches
    assert seen.issuer.endswith(f"CN={API_HOST}") or f"CN={API_HOST}" in seen.issuer


def test_without_the_ca_bundle_the_local_ca_is_not_trusted(tls_api: TlsApi) -> None:
    seen = inspect_certificate(API_HOST, tls_api.ports["valid"], None, connect_ip=LOOPBACK, timeout=2)
    assert not seen.verified and seen.verify_error
    assert seen.hostname_matches


def test_evidence_is_plain_data(tls_api: TlsApi) -> None:
    evidence = inspect(tls_api, "valid").as_evidence()
    assert evidence["not_after"] == tls_api.pki.valid.not_after.isoformat()
    assert isinstance(evidence["days_left"], float)
    assert evidence["fingerprint_sha256"].count(":") == 31


def test_nothing_listening_is_unreachable(closed_port: int) -> None:
    with pytest.raises(Unreachable) as raised:
        inspect_certificate(API_HOST, closed_port, None, connect_ip=LOOPBACK, timeout=2)
    assert raised.value.dependency == "tls"
    assert f"{API_HOST}:{closed_port}" in str(raised.value)


def test_a_silent_port_is_a_timeout(tcp_black_hole) -> None:
    with pytest.raises(ProbeTimeout, match="0.3s"):
        inspect_certificate(API_HOST, tcp_black_hole.port, None, connect_ip=LOOPBACK, timeout=0.3)
