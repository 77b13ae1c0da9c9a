"""What init lists as not found names keys examday.toml takes, and together with what it found it is
the sandbox's whole target: its compose file (copied, with empty env files, so no sandbox is needed)
through init, completed with exactly the listed keys from the sandbox's examday.toml, loads and
equals the sandbox's own target but for the differences named here."""

from __future__ import annotations

import shutil
import types
import typing
from pathlib import Path

from pydantic import BaseModel

from examday.config import load_config
from examday.config.model import ExamdayConfig
from examday.init import discover, finish
from examday.sandbox.layout import SandboxPaths
from examday.sandbox.state import SandboxState
from tests.init.complete import complete, listed_not_found, sandbox_target
from tests.init.test_discoveries import SANDBOX_SHAPED
from tests.report.helpers import REPO, examday

# The sandbox's keys init leaves to their defaults or to a person, and why (compose-only here).
LEFT_TO_A_PERSON = {
    "target.kind": "init writes production, the strictest, with a comment: a person says which it is",
    "target.description": "prose",
    "exam.title": "prose",
    "docker.compose_project_name": "the running containers' label: read only from a running stack",
    "docker.compose_env_files": "the sandbox's file names none; init writes the env files it was given",
    "docker.compose_files": "the copy of the compose file, not the repository's",
    "attestations.file": "a place of examday's own choosing: the default is beside the target",
    "exam_mode.sources": "compose-only: the flag table is looked for in a running database",
}


def _model_of(annotation: typing.Any) -> type[BaseModel] | None:
    """The section model behind ``X | None`` or ``list[X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) in (typing.Union, list):
        return next((m for arg in typing.get_args(annotation) if (m := _model_of(arg))), None)
    return None


def accepts(dotted: str) -> bool:
    model: type[BaseModel] | None = ExamdayConfig
    for part in dotted.split("."):
        if model is None or part not in model.model_fields:
            return False
        model = _model_of(model.model_fields[part].annotation)
    return True


def test_every_listed_key_is_a_key_examday_toml_takes():
    found = finish(discover(SANDBOX_SHAPED, project="sandbox"))
    keys = [key for missing in found.missing for alternative in missing.keys for key in alternative.split(" + ")]
    assert keys and [key for key in keys if not accepts(key)] == []
    assert not accepts("api.public_url")  # the check itself can fail


def sandbox_compose_copy(folder: Path) -> Path:
    """sandbox/docker-compose.yml with empty env files (but the flag cache's), so `compose config` needs no
    sandbox state."""
    folder.mkdir()
    compose = folder / "docker-compose.yml"
    shutil.copy(REPO / "sandbox" / "docker-compose.yml", compose)
    (folder / ".state").mkdir()
    for name in ("platform.env", "secrets.env", "sandbox-faults.env", "staging.env", "staging-secrets.env",
                 "students.env"):
        (folder / ".state" / name).write_text("")
    # The flag cache the sandbox runs now (2 s in examday's tests): init reads it from the backend's env.
    seconds = SandboxState(SandboxPaths.default()).flags_cache_seconds()
    (folder / ".state" / "platform.env").write_text(f"SYSTEM_FLAGS_CACHE_TTL_SECONDS={seconds:g}\n")
    return compose


def comparable(config: ExamdayConfig) -> dict[str, typing.Any]:
    """"section.key" -> value, one level into each section (docker.containers one more)."""
    dumped = config.model_dump(mode="json")
    flat = {f"{s}.{k}": v for s, values in dumped.items() if isinstance(values, dict) for k, v in values.items()}
    flat.update({f"docker.containers.{k}": v for k, v in dumped["docker"]["containers"].items()})
    return flat


def test_init_and_the_listed_keys_make_the_sandboxs_whole_target(tmp_path):
    compose = sandbox_compose_copy(tmp_path / "sandbox")  # the folder names the project, and the target
    written = tmp_path / "written.toml"
    done = examday("init", str(compose), "-o", str(written), "--compose-only")
    assert done.returncode == 0, done.stdout + done.stderr
    load_config(written)  # loads as written
    source = sandbox_target(tmp_path / "source")
    completed = tmp_path / "source" / "completed.toml"  # beside the source: the same default folders
    taken = complete(written, source, completed)
    assert "api.base_url" in taken and "operator.username" in taken
    listed = {key for entry in listed_not_found(written.read_text()) for keys in entry for key in keys}
    assert set(taken) <= listed
    ours, theirs = comparable(load_config(completed)), comparable(load_config(tmp_path / "source" / "examday.toml"))
    differ = {key for key in theirs if ours.get(key) != theirs[key] and key not in ("docker.containers",)}
    assert differ - set(LEFT_TO_A_PERSON) == set(), {k: (ours.get(k), theirs[k]) for k in differ}
