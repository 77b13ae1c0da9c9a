"""Probes: small, read-only adapters, one per thing examined.

Each probe takes plain settings (or a config section), bounds every network
call with a timeout, returns plain typed data and knows nothing of pytest.
Failures are ``examday.probes.errors.ProbeError`` subclasses naming the
dependency and what to check.
"""
