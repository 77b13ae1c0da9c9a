"""TLS probe: which certificate does an endpoint serve, and would a client trust it?

A verified handshake tells whether the certificate is trusted and matches the
name; when it is not, a second, unverified handshake fetches the leaf anyway,
so a failing check can show what was actually served.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from examday.probes.errors import BadResponse, ProbeTimeout, Unreachable

DEPENDENCY = "tls"
_SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class CertificateObservation:
    host: str
    port: int
    connect_ip: str | None
    subject_cn: str | None
    sans: list[str]
    issuer: str
    not_before: datetime
    not_after: datetime
    days_left: float
    verified: bool
    verify_error: str | None
    hostname_matches: bool
    fingerprint_sha256: str
    observed_at: datetime

    def days_left_at(self, moment: datetime) -> float:
        """Days of validity left at ``moment`` (e.g. the exam's end plus a margin)."""
        return (self.not_after - moment).total_seconds() / _SECONDS_PER_DAY

    def as_evidence(self) -> dict[str, Any]:
        evidence = asdict(self)
        for key in ("not_before", "not_after", "observed_at"):
            evidence[key] = evidence[key].isoformat()
        evidence["days_left"] = round(self.days_left, 2)
        return evidence


def inspect_certificate(
    host: str,
    port: int,
    ca_bundle: Path | str | None = None,
    connect_ip: str | None = None,
    timeout: float = 5.0,
) -> CertificateObservation:
    """Handshake with ``host:port`` (at ``connect_ip`` if given) and describe the leaf certificate.

    ``ca_bundle`` None means the system's trust store. Raises Unreachable,
    ProbeTimeout, or BadResponse when no TLS handshake completes at all.
    """
    verify_error: str | None = None
    try:
        der = _handshake(host, port, connect_ip, timeout, _verifying_context(ca_bundle))
    except ssl.SSLCertVerificationError as error:
        verify_error = error.verify_message or str(error)
        der = _handshake(host, port, connect_ip, timeout, _unverified_context())
    try:
        return _observe(host, port, connect_ip, der, verify_error)
    except ValueError as error:  # OpenSSL took it, but its names or extensions break X.509's rules
        raise BadResponse(
            f"{_where(host, port, connect_ip)}: the certificate served cannot be read ({error}). "
            "Reissue it: a client library may refuse it too.",
            dependency=DEPENDENCY,
        ) from None


def hostname_matches(certificate: x509.Certificate, host: str) -> bool:
    """RFC 6125 matching against the SANs (a wildcard covers one left-most label)."""
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name = _ascii_name(host)
        return any(_dns_name_matches(pattern, name) for pattern in sans.get_values_for_type(x509.DNSName))
    return address in sans.get_values_for_type(x509.IPAddress)


def _ascii_name(host: str) -> str:
    """An IDN as certificates carry it (``xn--`` A-labels): the form ssl sends as SNI and verifies."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _dns_name_matches(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


def _verifying_context(ca_bundle: Path | str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)


def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _handshake(host: str, port: int, connect_ip: str | None, timeout: float, context: ssl.SSLContext) -> bytes:
    """DER bytes of the leaf, after a handshake that sends ``host`` as SNI. Bounded by ``timeout``."""
    address = connect_ip or host
    where = _where(host, port, connect_ip)
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw:
            raw.settimeout(max(deadline - time.monotonic(), 0.001))
            # For an IP address ssl sends no SNI and checks the certificate's IP SANs instead.
            with context.wrap_socket(raw, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError:
        raise
    except (TimeoutError, socket.timeout):
        raise ProbeTimeout(
            f"{where}: no TLS handshake within {timeout:g}s. Check that the TLS proxy runs and answers.",
            dependency=DEPENDENCY,
        ) from None
    except ssl.SSLError as error:
        raise BadResponse(
            f"{where}: the TLS handshake failed ({error.reason or error}). Check that this port serves TLS "
            "and that the proxy has a certificate for the name.",
            dependency=DEPENDENCY,
        ) from None
    except OSError as error:
        raise Unreachable(
            f"{where}: cannot connect ({error.strerror or error}). Check that the TLS proxy runs and listens there, "
            "and the name's DNS or the resolve map.",
            dependency=DEPENDENCY,
        ) from None
    if not der:
        raise BadResponse(f"{where}: the server sent no certificate.", dependency=DEPENDENCY)
    return der


def _where(host: str, port: int, connect_ip: str | None) -> str:
    return f"{host}:{port}" + (f" (at {connect_ip})" if connect_ip else "")


def _observe(host: str, port: int, connect_ip: str | None, der: bytes, verify_error: str | None) -> CertificateObservation:
    certificate = x509.load_der_x509_certificate(der)
    now = datetime.now(UTC)
    not_after = certificate.not_valid_after_utc
    return CertificateObservation(
        host=host,
        port=port,
        connect_ip=connect_ip,
        subject_cn=_common_name(certificate.subject),
        sans=_sans(certificate),
        issuer=certificate.issuer.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=not_after,
        days_left=(not_after - now).total_seconds() / _SECONDS_PER_DAY,
        verified=verify_error is None,
        verify_error=verify_error,
        hostname_matches=hostname_matches(certificate, host),
        fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(":"),
        observed_at=now,
    )


def _common_name(name: x509.Name) -> str | None:
    attributes = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attributes:
        return None
    value = attributes[0].value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _sans(certificate: x509.Certificate) -> list[str]:
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names = list(sans.get_values_for_type(x509.DNSName))
    names += [str(address) for address in sans.get_values_for_type(x509.IPAddress)]
    return names
