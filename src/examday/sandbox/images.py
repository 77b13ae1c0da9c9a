"""Building the sandbox's images on a machine that reaches no image registry.

The chain: a Debian base made by debootstrap from the host's own apt sources and
imported into Docker, a common runtime layer on it, then one image per service.
Python wheels come from the host's pip configuration into a wheelhouse, so no
build container needs an index or a CA bundle. Every image carries a label with
the digest of what it was built from; an image whose digest matches is reused,
so a second `up` builds nothing. A rebuilt image keeps its predecessor as
`:previous`, which is what rollback readiness looks for.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from examday.sandbox.errors import SandboxError
from examday.sandbox.layout import BASE_IMAGE, IMAGE_PREFIX, RUNTIME_IMAGE, SandboxPaths

# debootstrap says one line per package and step; progress shows its phases only.
PER_PACKAGE_LINE = re.compile(r"^(Retrieving|Validating|Extracting|Unpacking|Configuring) (?!the )")
DIGEST_LABEL = "org.examday.context-digest"
RELEASE_LABEL = "org.examday.release"
Report = Callable[[str], None]


@dataclass(frozen=True)
class ImageSpec:
    """One image built from sandbox/images/<dockerfile_dir>/Dockerfile."""

    tag: str
    dockerfile_dir: str
    inputs: tuple[str, ...]  # paths under sandbox/ whose content goes into the digest
    parent: str = RUNTIME_IMAGE
    # Services the runbook's Rollback Plan rebuilds keep a previous release locally.
    keeps_previous: bool = False

    @property
    def previous_tag(self) -> str:
        return self.tag.rsplit(":", 1)[0] + ":previous"


IMAGES: tuple[ImageSpec, ...] = (
    ImageSpec(RUNTIME_IMAGE, "runtime", ("images/runtime",), parent=BASE_IMAGE),
    ImageSpec(f"{IMAGE_PREFIX}/postgres:local", "postgres", ("images/postgres",)),
    ImageSpec(f"{IMAGE_PREFIX}/redis:local", "redis", ("images/redis",)),
    ImageSpec(f"{IMAGE_PREFIX}/backend:local", "python", ("images/python", "backend", ".build/wheels/.stamp"),
              keeps_previous=True),
    ImageSpec(f"{IMAGE_PREFIX}/frontend:local", "frontend", ("images/frontend", "frontend"), keeps_previous=True),
    ImageSpec(f"{IMAGE_PREFIX}/proxy:local", "proxy", ("images/proxy",)),
    # The operator's host: the backend image plus cron and the PostgreSQL client.
    ImageSpec(f"{IMAGE_PREFIX}/ops:local", "ops", ("images/ops",), parent=f"{IMAGE_PREFIX}/backend:local"),
    ImageSpec(f"{IMAGE_PREFIX}/dns:local", "dns", ("images/dns",)),
    ImageSpec(f"{IMAGE_PREFIX}/observability:local", "observability", ("images/observability",)),
)


def _files_under(root: Path, relative: str) -> Iterable[Path]:
    path = root / relative
    if path.is_file():
        yield path
    elif path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and "__pycache__" not in child.parts:
                yield child


def context_digest(paths: SandboxPaths, spec: ImageSpec, parent_id: str) -> str:
    """sha256 over the parent image and every input file's name and content."""
    digest = hashlib.sha256(parent_id.encode())
    for relative in spec.inputs:
        for file in _files_under(paths.root, relative):
            digest.update(str(file.relative_to(paths.root)).encode() + b"\0")
            digest.update(file.read_bytes())
    return digest.hexdigest()


def host_apt_mirror() -> str:
    """The first Debian mirror URI configured on this host (deb822 or one-line)."""
    sources = Path("/etc/apt/sources.list.d")
    for file in sorted(sources.glob("*.sources")) if sources.is_dir() else []:
        for line in file.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        for line in legacy.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[1]:
                return parts[1] if not parts[1].startswith("[") else parts[2]
    raise SandboxError(
        "no Debian mirror found in the host's apt sources",
        "configure /etc/apt/sources.list(.d) so that `apt-get update` works, then retry",
    )


class ImageBuilder:
    """Builds what is missing or out of date, reporting progress through `report`."""

    def __init__(self, client: docker.DockerClient, paths: SandboxPaths, report: Report) -> None:
        self.client = client
        self.paths = paths
        self.report = report

    def build_all(self) -> list[str]:
        """Build every image that is missing or stale; return the tags built."""
        self.ensure_base()
        self.ensure_wheelhouse()
        return [spec.tag for spec in IMAGES if self.ensure_image(spec)]

    # -- base ---------------------------------------------------------------------
    def _image_id(self, tag: str) -> str | None:
        try:
            return self.client.images.get(tag).id
        except docker.errors.ImageNotFound:
            return None

    def ensure_base(self) -> None:
        if self._image_id(BASE_IMAGE):
            return
        if not shutil.which("debootstrap"):
            raise SandboxError(
                "debootstrap is needed to make the sandbox's Debian base image",
                "install it (apt-get install debootstrap) or run `make setup`",
            )
        mirror = host_apt_mirror()
        self.paths.build.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.paths.build, prefix="rootfs-") as tmp:
            rootfs = Path(tmp) / "rootfs"
            self.report("base: debootstrap bookworm from the host's apt mirror (about 30 s)")
            self._run_streaming(
                ["debootstrap", "--variant=minbase", "bookworm", str(rootfs), mirror], "base"
            )
            self.report("base: importing into Docker")
            tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
            result = subprocess.run(
                ["docker", "import", "-c", "ENV LANG=C.UTF-8", "-c", 'CMD ["/bin/bash"]', "-", BASE_IMAGE],
                stdin=tar.stdout, capture_output=True, text=True,
            )
            tar.wait()
            if result.returncode != 0 or tar.returncode != 0:
                raise SandboxError(f"docker import of the base failed: {result.stderr.strip()}",
                                   "check `docker info` and free disk space, then retry")

    def _run_streaming(self, argv: list[str], label: str) -> None:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        tail: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip()
            tail = (tail + [line])[-15:]
            if line.startswith("I: ") and not PER_PACKAGE_LINE.match(line[3:]):
                self.report(f"{label}: {line[3:]}")
        if process.wait() != 0:
            raise SandboxError(
                f"{argv[0]} failed for {label}:\n    " + "\n    ".join(tail),
                "check that the host's apt sources answer (`apt-get update`), then retry",
            )

    # -- wheels -----------------------------------------------------------------
    def ensure_wheelhouse(self) -> None:
        requirements = self.paths.root / "backend" / "requirements.txt"
        stamp = self.paths.wheelhouse / ".stamp"
        wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
        if stamp.exists() and stamp.read_text().strip() == wanted:
            return
        self.report("wheels: downloading the backend's wheels with the host's pip configuration")
        if self.paths.wheelhouse.exists():
            shutil.rmtree(self.paths.wheelhouse)
        self.paths.wheelhouse.mkdir(parents=True)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:",
             "-d", str(self.paths.wheelhouse), "-r", str(requirements)],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise SandboxError(
                "pip could not download the backend's wheels:\n    "
                + "\n    ".join(result.stderr.strip().splitlines()[-6:]),
                "check the host's pip configuration (`pip config list`) reaches a package index",
            )
        stamp.write_text(wanted + "\n")

    # -- service images ------------------------------------------------------------
    def ensure_image(self, spec: ImageSpec) -> bool:
        """Build spec's image unless an identical one exists; True when built."""
        parent_id = self._image_id(spec.parent)
        if parent_id is None:
            raise SandboxError(f"parent image {spec.parent} of {spec.tag} is missing",
                               "run `examday sandbox up` again; it builds images in order")
        digest = context_digest(self.paths, spec, parent_id)
        try:
            current = self.client.images.get(spec.tag)
        except docker.errors.ImageNotFound:
            current = None
        if current is not None and current.labels.get(DIGEST_LABEL) == digest:
            built = False
        else:
            if current is not None:
                current.tag(spec.previous_tag)
            self._build(spec, spec.tag, {DIGEST_LABEL: digest})
            built = True
        if spec.keeps_previous and self._image_id(spec.previous_tag) is None:
            # A fresh machine has no deployment history: stand one in, a distinct image
            # of the same build labelled as the previous release (only a label layer differs).
            self._build(spec, spec.previous_tag, {DIGEST_LABEL: digest, RELEASE_LABEL: "previous (stand-in)"})
        return built

    def _build(self, spec: ImageSpec, tag: str, labels: dict[str, str]) -> None:
        name = tag.split("/")[-1]
        self.report(f"{name}: building")
        stream = self.client.api.build(
            path=str(self.paths.root),
            dockerfile=f"images/{spec.dockerfile_dir}/Dockerfile",
            tag=tag,
            labels=labels,
            network_mode="host",  # apt inside the build reaches the host's mirror
            rm=True,
            decode=True,
        )
        tail: list[str] = []
        for chunk in stream:
            if "error" in chunk:
                raise SandboxError(
                    f"building {spec.tag} failed: {chunk['error'].strip()}\n    " + "\n    ".join(tail),
                    f"fix sandbox/images/{spec.dockerfile_dir}/Dockerfile or the host's apt/pip access",
                )
            text = chunk.get("stream", "").strip()
            if text:
                tail = (tail + [text])[-10:]
                if text.startswith("Step "):
                    self.report(f"{name}: {text[:100]}")
