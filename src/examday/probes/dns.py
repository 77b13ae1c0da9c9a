"""DNS probe: ask one resolver for one record and describe the answer.

A single query to the given resolver (no search domains, no fallback to other
servers), so the observation says exactly what that resolver answered.
NXDOMAIN and empty answers are observations, not errors; only silence
(ProbeTimeout) and no route to the resolver (Unreachable) raise.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from examday.config.types import split_host_port
from examday.probes.errors import BadResponse, ProbeTimeout, Unreachable

DEPENDENCY = "dns"


@dataclass(frozen=True)
class DnsObservation:
    name: str
    type: str
    answers: list[str]
    rcode: str
    resolver: str
    other_records: list[str]
    elapsed_ms: float

    @property
    def exists(self) -> bool:
        return self.rcode == "NOERROR" and bool(self.answers)

    def as_evidence(self) -> dict[str, Any]:
        return asdict(self)


def resolve(name: str, rtype: str = "A", resolver: str | None = None, timeout: float = 2.0) -> DnsObservation:
    """Ask ``resolver`` ("ip" or "ip:port"; None = the host's first nameserver) for ``name``/``rtype``.

    ``answers`` holds the records of the asked type, sorted; records of any
    other type in the answer section (a CNAME on the way, or a wrong-type
    answer) are listed in ``other_records`` as "TYPE value".
    """
    address, port = _resolver_address(resolver)
    where = f"{address}:{port}"
    qname = dns.name.from_text(name)
    qtype = dns.rdatatype.from_text(rtype)
    query = dns.message.make_query(qname, qtype)
    started = time.monotonic()
    response = _ask(query, address, port, timeout, where, name, rtype)
    elapsed_ms = (time.monotonic() - started) * 1000
    answers, others = _split_answer_section(response, qtype)
    return DnsObservation(
        name=name,
        type=dns.rdatatype.to_text(qtype),
        answers=sorted(answers),
        rcode=dns.rcode.to_text(response.rcode()),
        resolver=where,
        other_records=sorted(others),
        elapsed_ms=round(elapsed_ms, 3),
    )


def _ask(query: dns.message.Message, address: str, port: int, timeout: float, where: str, name: str, rtype: str) -> dns.message.Message:
    deadline = time.monotonic() + timeout
    try:
        response = dns.query.udp(query, address, port=port, timeout=timeout, ignore_unexpected=True)
        if response.flags & dns.flags.TC:
            # Truncated over UDP: the full answer needs TCP, within what is left of the bound.
            response = dns.query.tcp(query, address, port=port, timeout=max(deadline - time.monotonic(), 0.001))
    except dns.exception.Timeout:
        raise ProbeTimeout(
            f"{where} did not answer {name} {rtype} within {timeout:g}s. Check that the resolver runs "
            "and listens there (dns.resolver).",
            dependency=DEPENDENCY,
        ) from None
    except OSError as error:
        raise Unreachable(
            f"cannot reach the resolver {where} ({error.strerror or error}). Check dns.resolver and that it runs.",
            dependency=DEPENDENCY,
        ) from None
    except dns.exception.DNSException as error:
        raise BadResponse(
            f"{where} answered {name} {rtype} with a malformed message ({error}). Check that {where} is a DNS server.",
            dependency=DEPENDENCY,
        ) from None
    return response


def _split_answer_section(response: dns.message.Message, qtype: int) -> tuple[list[str], list[str]]:
    answers: list[str] = []
    others: list[str] = []
    for rrset in response.answer:
        if rrset.rdtype == qtype:
            answers.extend(_rdata_text(rdata) for rdata in rrset)
        else:
            type_name = dns.rdatatype.to_text(rrset.rdtype)
            others.extend(f"{type_name} {_rdata_text(rdata)}" for rdata in rrset)
    return answers, others


def _rdata_text(rdata: Any) -> str:
    # Names without the root dot, so "exam.localhost" compares with what people write.
    text = rdata.to_text()
    return text[:-1] if text.endswith(".") and not text.startswith('"') else text


def _resolver_address(resolver: str | None) -> tuple[str, int]:
    if resolver:
        return split_host_port(resolver, default_port=53)
    try:
        nameservers = dns.resolver.get_default_resolver().nameservers
    except dns.resolver.NoResolverConfiguration:
        nameservers = []
    if not nameservers:
        raise Unreachable("no resolver configured on this host. Set dns.resolver.", dependency=DEPENDENCY)
    return str(nameservers[0]), 53
