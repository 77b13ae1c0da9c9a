"""Manual items: the target's attestations, read once, and the `attested` fixture that satisfies a
manual item with its current attestation (or skips it, or fails it under --strict-attestations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from examday.plugin.fixtures import load_target_config


ATTESTATIONS_KEY = pytest.StashKey[list[Any]]()
ATTESTATION_KEY = pytest.StashKey[Any]()  # the attestation a manual item was satisfied by


def attestation_path(config: pytest.Config) -> Path:
    option = config.getoption("examday_attestations", default=None)
    path = Path(option) if option else load_target_config(config).attestations.file
    assert path is not None  # the config layer always sets a default
    return path


def load_attestation_file(config: pytest.Config) -> list[Any]:
    """Every attestation for this target, read once; a malformed file is one usage error."""
    from examday.attestations import AttestationError, load_attestations

    if ATTESTATIONS_KEY not in config.stash:
        try:
            config.stash[ATTESTATIONS_KEY] = load_attestations(attestation_path(config))
        except AttestationError as error:
            raise pytest.UsageError(str(error)) from None
    return config.stash[ATTESTATIONS_KEY]


@pytest.fixture(scope="session")
def attestations(pytestconfig: pytest.Config) -> list[Any]:
    """Every attestation recorded for this target."""
    return load_attestation_file(pytestconfig)


@pytest.fixture
def attested(request: pytest.FixtureRequest, attestations: list[Any], evidence: Any) -> Any:
    """The current attestation of this manual item; skipped (or failed with --strict-attestations) without one."""
    from examday.attestations import current_attestation
    from examday.plugin.items import meta_of

    meta = meta_of(request.node)
    assert meta is not None and meta.manual, "`attested` is for items declared with manual=True"
    found = current_attestation(attestations, meta.id)
    if found is None:
        message = (f"not attested: record it with `examday attest {meta.id} --by NAME --note TEXT`")
        if request.config.getoption("examday_strict_attestations"):
            pytest.fail(message)
        pytest.skip(message)
    request.node.stash[ATTESTATION_KEY] = found
    evidence.record(attested_by=found.by, attested_at=found.at.isoformat(), note=found.note,
                    evidence=found.evidence.model_dump(exclude_none=True) if found.evidence else None,
                    expires=found.expires.isoformat() if found.expires else None)
    return found
