"""Attestations: a person's word for a manual item, kept as data (one file per exam).

    [[attestation]]
    item = "PRE-COM-01"
    by = "Dana Okafor"
    at = 2026-11-28T20:15:00Z
    note = "Exam schedule mailed to ops, support and invigilators"
    evidence = { path = "evidence/schedule-mail.eml", sha256 = "..." }   # or { url = "https://..." }
    expires = 2026-11-30T00:00:00Z                                         # optional

`examday attest ITEM-ID --by NAME --note TEXT [--evidence PATH|URL]` appends one.
An expired attestation counts as missing; the newest valid one is used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import tomli_w
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from examday.errors import ExamdayError
from examday.checklist import ITEM_ID_PATTERN
from examday.signoff_files import load_statements, newest_valid


class AttestationError(ExamdayError):
    """The attestation file cannot be read or an entry is malformed: one message, file and entry named."""


class AttestationEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str | None = None
    sha256: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "AttestationEvidence":
        if (self.path is None) == (self.url is None):
            raise ValueError("evidence needs exactly one of path (with sha256) or url")
        if self.path is not None and not self.sha256:
            raise ValueError("evidence with a path needs its sha256")
        return self


class Attestation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: str = Field(pattern=ITEM_ID_PATTERN)
    by: str = Field(min_length=1)
    at: AwareDatetime
    note: str = Field(min_length=1)
    evidence: AttestationEvidence | None = None
    expires: AwareDatetime | None = None

    def valid_at(self, moment: dt.datetime) -> bool:
        return self.at <= moment and (self.expires is None or moment < self.expires)


class AttestationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attestation: list[Attestation] = Field(default_factory=list)


def load_attestations(path: Path) -> list[Attestation]:
    """Every attestation in the file ([] when the file does not exist yet)."""
    return load_statements(path, AttestationFile, "attestation", AttestationError,
                           "Fix the entry or re-create it with `examday attest`.")


def current_attestation(attestations: list[Attestation], item_id: str,
                        moment: dt.datetime | None = None) -> Attestation | None:
    """The newest attestation of item_id that is valid at moment (now by default)."""
    return newest_valid(attestations, item_id, moment)


def evidence_reference(reference: str, base_dir: Path) -> AttestationEvidence:
    """A URL as given, or a file fingerprinted by its sha256 (so later edits show)."""
    if "://" in reference:
        return AttestationEvidence(url=reference)
    path = (base_dir / reference).resolve() if not Path(reference).is_absolute() else Path(reference)
    if not path.is_file():
        raise AttestationError(f"evidence file {reference} does not exist: give an existing file or a URL")
    return AttestationEvidence(path=str(path), sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def append_attestation(path: Path, attestation: Attestation) -> None:
    """Add one attestation to the file, keeping everything already in it."""
    existing = load_attestations(path)
    document = {"attestation": [a.model_dump(exclude_none=True) for a in [*existing, attestation]]}
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(tomli_w.dumps(document), encoding="utf-8")
        tmp.replace(path)
    except OSError as problem:
        raise AttestationError(f"{path}: cannot write the attestation file ({problem}). "
                               "Choose a path in a folder you can write to.") from None


def attest_items(path: Path, item_ids: tuple[str, ...], by: str, note: str) -> Path:
    """One attestation per item, given a minute ago (so it is current now): a rehearsal's or a bench's
    stand-in for the people who confirm the communication items."""
    at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    for item_id in item_ids:
        append_attestation(path, Attestation(item=item_id, by=by, note=note, at=at))
    return path
