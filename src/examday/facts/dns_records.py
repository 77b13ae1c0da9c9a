"""A DNS record as the configured resolver answers it (unset: this host's own), against what [dns] expects."""

from __future__ import annotations

from examday.config import DnsRecord, ExamdayConfig
from examday.probes.dns import DnsObservation, resolve


def observe_record(record: DnsRecord, config: ExamdayConfig) -> DnsObservation:
    return resolve(record.name, record.type, config.dns.resolver, config.dns.timeout_seconds)


def record_problem(record: DnsRecord, observed: DnsObservation) -> str | None:
    """None when the answers are exactly the expected ones, in any order."""
    expected = sorted(record.expected)
    if observed.answers == expected:
        return None
    return (f"{record.name} {record.type} resolves to {observed.answers or observed.rcode} "
            f"through {observed.resolver}, expected {expected}")
