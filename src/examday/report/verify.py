"""Check a record folder: every hash in SHA256SUMS, then every signature of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from examday.report.manifest import MANIFEST_NAME, ManifestProblem, check_manifest
from examday.report.signing import SignatureCheck, check_signature, signatures_of


@dataclass
class RecordCheck:
    record: Path
    problems: list[ManifestProblem] = field(default_factory=list)
    signatures: list[SignatureCheck] = field(default_factory=list)
    missing_signature: bool = False  # allowed signers were given, but nobody signed

    @property
    def ok(self) -> bool:
        return not self.problems and not self.missing_signature and all(s.ok for s in self.signatures)

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    def lines(self) -> list[str]:
        """What `examday verify` prints: each problem, each signature, and a one-line summary."""
        out = [f"FAIL {p.describe()}" for p in self.problems]
        out += [("ok   " if s.ok else "FAIL ") + s.describe() for s in self.signatures]
        if self.missing_signature:
            out.append(f"FAIL {MANIFEST_NAME} is not signed (signatures/ is empty), but allowed signers were given")
        elif not self.signatures:
            out.append(f"note {MANIFEST_NAME} is not signed: add a signature with `examday sign`")
        return out


def check_record(record: Path, allowed_signers: Path | None = None) -> RecordCheck:
    check = RecordCheck(record, problems=check_manifest(record))
    manifest = record / MANIFEST_NAME
    if not manifest.is_file():
        return check
    check.signatures = [check_signature(record, sig, manifest, allowed_signers) for sig in signatures_of(record)]
    check.missing_signature = allowed_signers is not None and not check.signatures
    return check
