"""SSH signatures over SHA256SUMS (`ssh-keygen -Y`), namespace `examday-record`.

A record's signatures live in its `signatures/` folder, one file per signer
(`signatures/<signer>.sig`), each an armored SSH signature of SHA256SUMS. They
are not listed in SHA256SUMS (they sign it), so people can add theirs later.
Only `ssh-keygen` is needed to check one, which is the point: an auditor does
not have to trust examday.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from examday.errors import ExamdayError

NAMESPACE = "examday-record"
SIGNATURES_DIR = "signatures"
SIGNATURE_SUFFIX = ".sig"
# Long enough for a person to type a key's passphrase at the prompt.
SIGN_TIMEOUT_SECONDS = 120
VERIFY_TIMEOUT_SECONDS = 20
ARMOR_BEGIN, ARMOR_END, ARMOR_LINE = "-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----", 70


class SigningError(ExamdayError):
    """A signature could not be made: one message saying why and what to do."""


@dataclass(frozen=True)
class SignatureCheck:
    path: str  # relative to the record folder
    ok: bool
    fingerprint: str  # of the signing key, "SHA256:..." ("unknown" if unreadable)
    principal: str | None  # who, per the allowed signers file (None when not checked)
    detail: str

    def describe(self) -> str:
        if not self.ok:
            return f"{self.path}: BAD signature ({self.detail})"
        if self.principal is None:
            return (f"{self.path}: signed by key {self.fingerprint}, not checked against allowed signers")
        return f"{self.path}: good signature by {self.principal} (key {self.fingerprint})"


def ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise SigningError("ssh-keygen is not installed: install OpenSSH's client tools (openssh-client)")
    return found


def signer_file_name(signer: str) -> str:
    """`Dana Okafor` -> `dana-okafor.sig`: a signer's name made safe for a file name."""
    slug = re.sub(r"[^a-z0-9@._-]+", "-", signer.strip().lower()).strip("-.") or "signer"
    return slug + SIGNATURE_SUFFIX


def key_comment(key: Path) -> str | None:
    """The comment of the key's public half (often "name@host"), used as the signer's name."""
    public = key if key.suffix == ".pub" else key.with_name(key.name + ".pub")
    try:
        fields = public.read_text(encoding="utf-8").split(maxsplit=2)
    except (OSError, UnicodeDecodeError):
        return None
    return fields[2].strip() if len(fields) == 3 and fields[2].strip() else None


def sign(data: Path, key: Path, signature: Path) -> None:
    """Write an SSH signature of `data` made with `key` (a private key, or a public one held by ssh-agent)."""
    if not key.is_file():
        raise SigningError(f"signing key {key} does not exist: give the path of an SSH private key "
                           "(or of its .pub when the key is in ssh-agent)")
    try:
        with data.open("rb") as stdin:
            done = subprocess.run([ssh_keygen(), "-q", "-Y", "sign", "-f", str(key), "-n", NAMESPACE],
                                  stdin=stdin, capture_output=True, timeout=SIGN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise SigningError(f"ssh-keygen did not sign within {SIGN_TIMEOUT_SECONDS} s "
                           "(waiting for a passphrase?)") from None
    if done.returncode != 0 or b"BEGIN SSH SIGNATURE" not in done.stdout:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise SigningError(f"ssh-keygen could not sign with {key}: {reason[-1] if reason else 'no signature'}")
    signature.parent.mkdir(parents=True, exist_ok=True)
    signature.write_bytes(done.stdout)


def check_signature(record: Path, signature: Path, data: Path, allowed_signers: Path | None) -> SignatureCheck:
    """Check one signature of `data`; against the allowed signers when given, else only cryptographically."""
    relative = signature.relative_to(record).as_posix()
    fingerprint = signature_fingerprint(signature)
    if not canonical(signature):
        return SignatureCheck(relative, False, fingerprint, None,
                              "not an SSH signature as ssh-keygen writes it: edited or not a signature")
    if allowed_signers is None:
        ok, detail = _run_check(["-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(signature)], data)
        return SignatureCheck(relative, ok, fingerprint, None, detail)
    principals = find_principals(signature, allowed_signers)
    if not principals:
        return SignatureCheck(relative, False, fingerprint, None,
                              f"key {fingerprint} is not in the allowed signers file {allowed_signers}")
    for principal in principals:
        ok, detail = _run_check(["-Y", "verify", "-f", str(allowed_signers), "-I", principal, "-n", NAMESPACE,
                                 "-s", str(signature)], data)
        if ok:
            return SignatureCheck(relative, True, fingerprint, principal, detail)
    return SignatureCheck(relative, False, fingerprint, None, detail)


def find_principals(signature: Path, allowed_signers: Path) -> list[str]:
    done = subprocess.run([ssh_keygen(), "-Y", "find-principals", "-s", str(signature), "-f", str(allowed_signers)],
                          capture_output=True, text=True, timeout=VERIFY_TIMEOUT_SECONDS)
    return [line.strip() for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []


def _run_check(args: list[str], data: Path) -> tuple[bool, str]:
    with data.open("rb") as stdin:
        done = subprocess.run([ssh_keygen(), *args], stdin=stdin, capture_output=True,
                              timeout=VERIFY_TIMEOUT_SECONDS)
    output = (done.stdout + done.stderr).decode(errors="replace").strip().splitlines()
    detail = next((line for line in output if line.startswith("Good")), output[-1] if output else "")
    if done.returncode != 0 and "incorrect signature" in " ".join(output):
        detail = "the signature does not match SHA256SUMS"
    return done.returncode == 0, detail


def _signature_blob(signature: Path) -> bytes | None:
    try:
        text = signature.read_text(encoding="ascii")
        body = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
        blob = base64.b64decode(body, validate=True)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return blob if blob[:6] == b"SSHSIG" else None


def canonical(signature: Path) -> bool:
    """Whether the file is byte for byte what ssh-keygen writes for the signature it holds.

    ssh-keygen ignores extra whitespace and some base64 slack; a record should
    not: any edit to any of its files must show.
    """
    blob = _signature_blob(signature)
    if blob is None:
        return False
    encoded = base64.b64encode(blob).decode("ascii")
    lines = [encoded[i:i + ARMOR_LINE] for i in range(0, len(encoded), ARMOR_LINE)]
    expected = "\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + "\n"
    return signature.read_bytes() == expected.encode("ascii")


def signature_fingerprint(signature: Path) -> str:
    """SHA256:... of the public key embedded in an armored SSH signature ("unknown" if unreadable)."""
    blob = _signature_blob(signature)
    if blob is None:
        return "unknown"
    try:
        (length,) = struct.unpack(">I", blob[10:14])
        key_blob = blob[14:14 + length]
        (type_length,) = struct.unpack(">I", key_blob[:4])
        key_type = key_blob[4:4 + type_length].decode("ascii")
    except (ValueError, struct.error, UnicodeDecodeError):
        return "unknown"
    digest = base64.b64encode(hashlib.sha256(key_blob).digest()).decode("ascii").rstrip("=")
    return f"{key_type} SHA256:{digest}"


def signatures_of(record: Path) -> list[Path]:
    folder = record / SIGNATURES_DIR
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
