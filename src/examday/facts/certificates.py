"""The certificate an endpoint serves, and how long it must stay valid: past the exam's end plus a margin."""

from __future__ import annotations

import datetime as dt

from examday.config import ExamdayConfig, split_host_port
from examday.probes.tls import CertificateObservation, inspect_certificate


def required_valid_until(config: ExamdayConfig, now: dt.datetime) -> tuple[dt.datetime, str]:
    """The later of now + min_days_left and (when an exam is configured) its end + margin."""
    by_days = now + dt.timedelta(days=config.tls.min_days_left)
    if config.exam is None:
        return by_days, f"{config.tls.min_days_left} days from now"
    by_exam = config.exam.ends_at + dt.timedelta(days=config.tls.margin_after_exam_days)
    if by_exam > by_days:
        return by_exam, f"exam {config.exam.id} ends + {config.tls.margin_after_exam_days:g} days"
    return by_days, f"{config.tls.min_days_left} days from now"


def served_certificate(endpoint: str, config: ExamdayConfig) -> tuple[str, CertificateObservation]:
    """The host part of ``endpoint`` ("host:port"), and the certificate served there, with [tls]'s CA
    bundle, resolve overrides and timeout."""
    host, port = split_host_port(endpoint)
    tls = config.tls
    return host, inspect_certificate(host, port, tls.ca_bundle, connect_ip=tls.resolve.get(host),
                                     timeout=tls.timeout_seconds)
