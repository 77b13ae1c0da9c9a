"""Certificates with odd names and DNS answers of the wrong type or shape, from real servers on loopback.

The TLS servers serve certificates issued by a local CA (tests/fixtures/network_servers.py
starts the usual ones; these are the odd ones); the DNS server is a real dnsmasq
holding records no sane zone has. Each case is an observation or a ProbeError
with a message, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import socket
import ssl
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from examday.config import DnsRecord
from examday.probes.dns import resolve
from examday.probes.errors import BadResponse
from examday.probes.tls import CertificateObservation, inspect_certificate
from tests.fixtures.network_servers import (
    API_HOST,
    DNSMASQ,
    LOOPBACK,
    IssuedCertificate,
    _make_ca,
    _Running,
    _server_context,
    _TlsServer,
    _wait_for_dns,
    _write_key,
)
from tests.fixtures.ports import free_port

IDN_HOST = "bücher.exam.localhost"
IDN_ASCII = "xn--bcher-kva.exam.localhost"
LONG_HOST = ".".join(["a" * 63] * 3) + ".exam.localhost"
CA = tuple[x509.Certificate, ec.EllipticCurvePrivateKey]


def _cn(value: str, **options: object) -> x509.Name:
    with warnings.catch_warnings():  # cryptography warns of an empty or 300-character CN: making one is the point
        warnings.simplefilter("ignore", UserWarning)
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value, **options)])  # type: ignore[arg-type]


# name -> (subject, subject alternative names or None for no SAN extension)
ODD_CERTIFICATES: dict[str, tuple[x509.Name, list[x509.GeneralName] | None]] = {
    "no_subject": (x509.Name([]), [x509.DNSName(API_HOST)]),
    "empty_cn": (_cn("", _validate=False), [x509.DNSName(API_HOST)]),
    "cn_only": (_cn(API_HOST), None),
    "wildcard": (_cn("*.exam.localhost"), [x509.DNSName("*.exam.localhost")]),
    "idn": (_cn(IDN_ASCII), [x509.DNSName(IDN_ASCII)]),
    "long_names": (_cn("n" * 300, _validate=False), [x509.DNSName(LONG_HOST)]),
    "ip_sans": (_cn("loopback"), [x509.IPAddress(ipaddress.ip_address(LOOPBACK)), x509.IPAddress(ipaddress.ip_address("::1"))]),
    "ipv6_only": (_cn("loopback6"), [x509.IPAddress(ipaddress.ip_address("::1"))]),
    # '*' is no PrintableString character: OpenSSL signs and serves it, X.509 parsers refuse it.
    "bad_printable_cn": (_cn("apiQexam", _type=_ASN1Type.PrintableString), [x509.DNSName(API_HOST)]),
    # a U-label put raw into a dNSName (an IA5String), where punycode belongs.
    "raw_utf8_san": (_cn("raw"), [x509.DNSName("bxxcher.exam.localhost")]),
}
# Bytes swapped in after issuing (same length), then signed again: what a careless CA tool produces.
TAMPERED = {"bad_printable_cn": (b"apiQexam", b"api*exam"), "raw_utf8_san": (b"bxxcher", "bücher".encode())}


def _der_length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def _resigned(certificate: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, old: bytes, new: bytes) -> bytes:
    """The certificate's DER with ``old`` replaced by ``new`` in its signed part, and a valid signature again."""
    tbs = certificate.tbs_certificate_bytes.replace(old, new)
    signature = ca_key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    ecdsa_with_sha256 = b"\x30\x0a\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02"
    bit_string = b"\x03" + _der_length(len(signature) + 1) + b"\x00" + signature
    body = tbs + ecdsa_with_sha256 + bit_string
    return b"\x30" + _der_length(len(body)) + body


def _issue_odd(folder: Path, stem: str, ca: CA) -> IssuedCertificate:
    subject, sans = ODD_CERTIFICATES[stem]
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    not_after = (now + dt.timedelta(days=30)).replace(microsecond=0)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca[0].subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
               .not_valid_after(not_after))
    if sans is not None:  # RFC 5280: with an empty subject the SAN extension is critical
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=not list(subject))
    certificate = builder.sign(ca[1], hashes.SHA256())
    der = _resigned(certificate, ca[1], *TAMPERED[stem]) if stem in TAMPERED else certificate.public_bytes(Encoding.DER)
    cert_pem = folder / f"{stem}.pem"
    cert_pem.write_text(ssl.DER_cert_to_PEM_cert(der))
    return IssuedCertificate(cert_pem=cert_pem, key_pem=_write_key(key, folder / f"{stem}.key"), not_after=not_after)


@dataclass(frozen=True)
class OddTls:
    ca_pem: Path
    ports: dict[str, int]

    def inspect(self, certificate: str, host: str = API_HOST) -> CertificateObservation:
        return inspect_certificate(host, self.ports[certificate], self.ca_pem, connect_ip=LOOPBACK, timeout=2)


@pytest.fixture(scope="module")
def odd_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OddTls]:
    """One real TLS server per odd certificate, all signed by one local CA."""
    folder = tmp_path_factory.mktemp("odd-pki")
    ca = _make_ca(folder)
    running = _Running()
    try:
        ports = {stem: running.start(_TlsServer(_server_context(_issue_odd(folder, stem, ca)))) for stem in ODD_CERTIFICATES}
        yield OddTls(ca_pem=folder / "ca.pem", ports=ports)
    finally:
        running.stop()


def test_a_certificate_without_a_subject_names_its_host_in_the_sans(odd_tls: OddTls) -> None:
    seen = odd_tls.inspect("no_subject")
    assert seen.verified and seen.hostname_matches
    assert seen.subject_cn is None and seen.sans == [API_HOST]


@pytest.mark.filterwarnings("ignore:Attribute's length must be:UserWarning")  # cryptography's note on reading it
def test_an_empty_common_name_is_an_empty_string_not_an_error(odd_tls: OddTls) -> None:
    seen = odd_tls.inspect("empty_cn")
    assert seen.verified and seen.hostname_matches and seen.subject_cn == ""


def test_a_name_only_in_the_common_name_does_not_match(odd_tls: OddTls) -> None:
    """Browsers ignore the CN: so does the item, and the evidence shows why (no SANs)."""
    seen = odd_tls.inspect("cn_only")
    assert not seen.hostname_matches
    assert seen.subject_cn == API_HOST and seen.sans == []


@pytest.mark.parametrize("host, matches", [
    (API_HOST, True), ("EXAM.exam.localhost", True), ("exam.localhost", False), (f"deep.{API_HOST}", False),
])
def test_a_wildcard_covers_exactly_one_label_as_openssl_says(odd_tls: OddTls, host: str, matches: bool) -> None:
    seen = odd_tls.inspect("wildcard", host)
    assert seen.hostname_matches is matches and seen.verified is matches


@pytest.mark.parametrize("host", [IDN_HOST, IDN_ASCII])
def test_an_international_name_matches_its_punycode_san(odd_tls: OddTls, host: str) -> None:
    seen = odd_tls.inspect("idn", host)
    assert seen.verified and seen.hostname_matches
    assert seen.sans == [IDN_ASCII]


@pytest.mark.filterwarnings("ignore:Attribute's length must be:UserWarning")
def test_names_at_the_length_limits_are_read_whole(odd_tls: OddTls) -> None:
    seen = odd_tls.inspect("long_names", LONG_HOST)
    assert seen.verified and seen.hostname_matches
    assert seen.subject_cn == "n" * 300 and seen.sans == [LONG_HOST]


@pytest.mark.parametrize("certificate, matches", [("ip_sans", True), ("ipv6_only", False)])
def test_an_address_is_matched_against_the_ip_sans_only(odd_tls: OddTls, certificate: str, matches: bool) -> None:
    seen = odd_tls.inspect(certificate, LOOPBACK)
    assert seen.hostname_matches is matches and seen.verified is matches
    assert "::1" in seen.sans


def test_a_certificate_breaking_x509_rules_is_a_clear_bad_response(odd_tls: OddTls) -> None:
    with pytest.raises(BadResponse) as raised:
        odd_tls.inspect("bad_printable_cn")
    assert raised.value.dependency == "tls"
    message = str(raised.value)
    where = f"{API_HOST}:{odd_tls.ports['bad_printable_cn']} (at {LOOPBACK})"
    assert message.startswith(f"{where}: the certificate served cannot be read") and "Reissue it" in message


def test_a_raw_utf8_name_in_a_san_is_shown_as_read_and_matches_nothing(odd_tls: OddTls) -> None:
    """Not punycode, so no client will match it: the item fails, and the evidence shows the name as served."""
    seen = odd_tls.inspect("raw_utf8_san", IDN_HOST)
    assert not seen.verified and not seen.hostname_matches
    assert seen.sans == [IDN_HOST]


# --- DNS ---------------------------------------------------------------------------------------------------------

ODD_ZONE = "odd.localhost"
ODD_RECORDS = [
    f"host-record=v6only.{ODD_ZONE},::1",
    f"cname=dangling.{ODD_ZONE},nowhere.{ODD_ZONE}",
    f"dns-rr=binary.{ODD_ZONE},16,0600ff41420a43",  # TXT: one string of the bytes 00 ff 'A' 'B' newline 'C'
    f"dns-rr=short-a.{ODD_ZONE},1,7f0000",          # an A record of three bytes
    f"dns-rr=private.{ODD_ZONE},65280,deadbeef",    # a type nobody registered
    f"dns-rr=broken-mx.{ODD_ZONE},15,00",           # an MX record cut inside its preference
]


@pytest.fixture(scope="module")
def odd_dns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """dnsmasq on loopback answering for odd.localhost from ODD_RECORDS: "127.0.0.1:PORT"."""
    binary = DNSMASQ if Path(DNSMASQ).exists() else shutil.which("dnsmasq")
    if binary is None:
        pytest.skip("dnsmasq is not installed (apt-get install dnsmasq-base)")
    folder = tmp_path_factory.mktemp("odd-dns")
    port = free_port(socket.SOCK_DGRAM)
    settings = [f"port={port}", f"listen-address={LOOPBACK}", "bind-interfaces", "no-resolv", "no-hosts",
                f"local=/{ODD_ZONE}/", *ODD_RECORDS]
    (folder / "dnsmasq.conf").write_text("\n".join(settings) + "\n")
    log = folder / "dnsmasq.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen([binary, "--no-daemon", f"--conf-file={folder / 'dnsmasq.conf'}", "--pid-file=",
                                    "--log-facility=-"], stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _wait_for_dns(f"{LOOPBACK}:{port}", process, log)
        yield f"{LOOPBACK}:{port}"
    finally:
        process.kill()
        process.wait()


def test_an_a_question_for_a_dangling_cname_shows_the_cname_and_no_address(odd_dns: str) -> None:
    seen = resolve(f"dangling.{ODD_ZONE}", "A", odd_dns, timeout=2)
    assert seen.rcode == "NOERROR" and seen.answers == [] and not seen.exists
    assert seen.other_records == [f"CNAME nowhere.{ODD_ZONE}"]


def test_an_a_question_for_a_name_with_only_aaaa_is_an_empty_answer(odd_dns: str) -> None:
    seen = resolve(f"v6only.{ODD_ZONE}", "A", odd_dns, timeout=2)
    assert (seen.rcode, seen.answers, seen.other_records) == ("NOERROR", [], [])


def test_an_address_written_long_hand_in_the_config_matches_the_answer(odd_dns: str) -> None:
    record = DnsRecord.model_validate({"name": f"v6only.{ODD_ZONE}", "type": "AAAA", "expected": ["0:0:0:0:0:0:0:1"]})
    assert resolve(record.name, record.type, odd_dns, timeout=2).answers == record.expected


def test_binary_text_and_unknown_types_are_shown_escaped(odd_dns: str) -> None:
    assert resolve(f"binary.{ODD_ZONE}", "TXT", odd_dns, timeout=2).answers == ['"\\000\\255AB\\010C"']
    assert resolve(f"private.{ODD_ZONE}", "TYPE65280", odd_dns, timeout=2).answers == ["\\# 4 deadbeef"]


@pytest.mark.parametrize("name, rtype", [(f"short-a.{ODD_ZONE}", "A"), (f"broken-mx.{ODD_ZONE}", "MX")])
def test_a_record_too_short_for_its_type_is_a_bad_response(odd_dns: str, name: str, rtype: str) -> None:
    with pytest.raises(BadResponse) as raised:
        resolve(name, rtype, odd_dns, timeout=2)
    assert raised.value.dependency == "dns"
    assert str(raised.value).startswith(f"{odd_dns} answered {name} {rtype} with a malformed message")
