"""dns.resolve against a real dnsmasq on loopback, and a resolver that never answers."""

from __future__ import annotations

import pytest

from examday.probes.dns import resolve
from examday.probes.errors import ProbeTimeout
from tests.fixtures.network_servers import API_HOST, LOOPBACK, SITE_HOST, DnsServer


@pytest.mark.parametrize("name", [API_HOST, SITE_HOST])
def test_expected_a_records(dns_server: DnsServer, name: str) -> None:
    seen = resolve(name, "A", dns_server.address, timeout=2)
    assert seen.answers == [LOOPBACK]
    assert seen.rcode == "NOERROR" and seen.exists
    assert seen.resolver == dns_server.address
    assert (seen.name, seen.type) == (name, "A")


def test_an_unknown_name_is_nxdomain_not_an_error(dns_server: DnsServer) -> None:
    seen = resolve(f"missing.{dns_server.local_domain}", "A", dns_server.address, timeout=2)
    assert seen.rcode == "NXDOMAIN"
    assert seen.answers == [] and not seen.exists


def test_a_name_without_that_type_is_an_empty_answer(dns_server: DnsServer) -> None:
    txt_name, _ = dns_server.txt
    seen = resolve(txt_name, "A", dns_server.address, timeout=2)
    assert seen.rcode == "NOERROR"
    assert seen.answers == [] and not seen.exists


def test_records_of_another_type_in_the_answer_are_reported_apart(dns_server: DnsServer) -> None:
    alias, target = dns_server.cname
    seen = resolve(alias, "A", dns_server.address, timeout=2)
    assert seen.other_records == [f"CNAME {target}"]
    assert seen.answers == [LOOPBACK]


def test_other_record_types(dns_server: DnsServer) -> None:
    txt_name, text = dns_server.txt
    assert resolve(txt_name, "TXT", dns_server.address, timeout=2).answers == [f'"{text}"']
    alias, target = dns_server.cname
    assert resolve(alias, "CNAME", dns_server.address, timeout=2).answers == [target]


def test_a_silent_resolver_is_a_timeout_within_the_bound(silent_dns_server: str) -> None:
    with pytest.raises(ProbeTimeout) as raised:
        resolve(API_HOST, "A", silent_dns_server, timeout=0.3)
    assert raised.value.dependency == "dns"
    assert silent_dns_server in str(raised.value) and "0.3s" in str(raised.value)


def test_evidence_is_plain_data(dns_server: DnsServer) -> None:
    evidence = resolve(API_HOST, "A", dns_server.address, timeout=2).as_evidence()
    assert evidence["answers"] == [LOOPBACK] and evidence["rcode"] == "NOERROR"
