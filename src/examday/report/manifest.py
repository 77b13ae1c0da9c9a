"""SHA256SUMS (the `sha256sum` format, relative paths) and VERIFY.txt.

SHA256SUMS lists every file of the record except itself and the signatures
that sign it. An auditor checks it with `sha256sum -c SHA256SUMS`; `examday
verify` also notices a file added after the record was written.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from examday.report.signing import NAMESPACE, SIGNATURES_DIR

MANIFEST_NAME = "SHA256SUMS"
VERIFY_NAME = "VERIFY.txt"
_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


@dataclass(frozen=True)
class ManifestProblem:
    path: str
    problem: str  # changed | missing | added | unreadable

    def describe(self) -> str:
        return {
            "changed": f"{self.path}: changed since the record was written (sha256 differs)",
            "missing": f"{self.path}: listed in {MANIFEST_NAME} but missing",
            "added": f"{self.path}: not in {MANIFEST_NAME} (added after the record was written)",
        }.get(self.problem, f"{self.path}: {self.problem}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def record_files(record: Path) -> list[str]:
    """Every file the manifest covers (relative, sorted): all but SHA256SUMS and signatures/."""
    names = []
    for path in record.rglob("*"):
        relative = path.relative_to(record).as_posix()
        if path.is_dir() or relative == MANIFEST_NAME or relative.split("/")[0] == SIGNATURES_DIR:
            continue
        names.append(relative)
    return sorted(names)


def write_manifest(record: Path) -> Path:
    lines = [f"{sha256_of(record / name)}  {name}\n" for name in record_files(record)]
    manifest = record / MANIFEST_NAME
    manifest.write_text("".join(lines), encoding="utf-8")
    return manifest


def read_manifest(record: Path) -> dict[str, str]:
    """name -> sha256; raises ValueError naming the first malformed line."""
    entries: dict[str, str] = {}
    text = (record / MANIFEST_NAME).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"{MANIFEST_NAME} line {number} is not '<sha256>  <file>'")
        entries[match.group(2)] = match.group(1)
    return entries


def check_manifest(record: Path) -> list[ManifestProblem]:
    """What differs between the record folder and its SHA256SUMS (empty: every byte as written)."""
    if not (record / MANIFEST_NAME).is_file():
        return [ManifestProblem(MANIFEST_NAME, "missing: this folder is not a complete examday record")]
    try:
        listed = read_manifest(record)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return [ManifestProblem(MANIFEST_NAME, f"unreadable: {error}")]
    problems = []
    for name, digest in listed.items():
        path = record / name
        if not path.is_file():
            problems.append(ManifestProblem(name, "missing"))
        elif sha256_of(path) != digest:
            problems.append(ManifestProblem(name, "changed"))
    problems += [ManifestProblem(name, "added") for name in record_files(record) if name not in listed]
    return problems


def verify_instructions() -> str:
    """VERIFY.txt: what an auditor runs, with nothing but coreutils and OpenSSH."""
    return f"""How to verify this examday record
==================================

Run these in this folder. Nothing but coreutils and OpenSSH is needed.

1. Every file is exactly as written:

     sha256sum -c {MANIFEST_NAME}

   Each line must say OK. A FAILED line, or a missing file, means the record
   was changed after it was written. Files added later are not in {MANIFEST_NAME};
   this lists them (bash; the output must be empty):

     find . -type f ! -name {MANIFEST_NAME} ! -path './{SIGNATURES_DIR}/*' | cut -c3- | sort \\
       | comm -23 - <(cut -c67- {MANIFEST_NAME} | sort)

2. Who signed it. Each file in {SIGNATURES_DIR}/ is an SSH signature of {MANIFEST_NAME}
   (namespace "{NAMESPACE}"), one per signer; more can be added later with
   `examday sign`. With an allowed_signers file (one line per person:
   "principal key-type base64-key", see ssh-keygen(1) ALLOWED SIGNERS):

     for sig in {SIGNATURES_DIR}/*.sig; do
       who=$(ssh-keygen -Y find-principals -s "$sig" -f allowed_signers) &&
       ssh-keygen -Y verify -f allowed_signers -I "$who" -n {NAMESPACE} -s "$sig" < {MANIFEST_NAME} ||
       echo "BAD SIGNATURE: $sig"
     done

   Without one, this proves a signature is intact but not whose key made it:

     ssh-keygen -Y check-novalidate -n {NAMESPACE} -s {SIGNATURES_DIR}/NAME.sig < {MANIFEST_NAME}

3. Or all of the above at once, naming any file that differs:

     examday verify . --allowed-signers allowed_signers

Files: checklist.html (the printable record), pytest-report.html (pytest-html),
results.json (with an in-toto test-result statement), junit.xml, this file,
{MANIFEST_NAME} (the sha256 of every file above) and {SIGNATURES_DIR}/ (signatures of {MANIFEST_NAME}).
"""
