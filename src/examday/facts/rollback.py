"""Rollback readiness: an image other than the running one, present locally."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examday.facts.ports import DockerReads


@dataclass(frozen=True)
class RollbackCandidate:
    container: str
    running_image: str
    previous: list[str]  # tags (or ids) of other local images of the same repository

    @property
    def ready(self) -> bool:
        return bool(self.previous)


def repository_of(image_ref: str) -> str:
    """`registry:5000/team/app:1.2` -> `registry:5000/team/app` (digest refs likewise)."""
    ref = image_ref.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return ref.rsplit(":", 1)[0] if ":" in last else ref


def rollback_candidate(docker: DockerReads, container_name: str) -> RollbackCandidate:
    container = docker.container(container_name)
    images = docker.images_for_repository(repository_of(container.image))
    others = [(info.tags[0] if info.tags else info.id[:19]) for info in images if info.id != container.image_id]
    return RollbackCandidate(container_name, container.image, others)


def rollback_candidates(docker: DockerReads, config: Any) -> list[RollbackCandidate]:
    """One candidate per deployed role of ``[platform] rollback_roles`` (backend, frontend)."""
    names = config.docker.containers.model_dump()
    return [rollback_candidate(docker, names[role]) for role in config.platform.rollback_roles if names.get(role)]


def as_evidence(candidates: list[RollbackCandidate]) -> dict[str, dict[str, Any]]:
    return {c.container: {"running": c.running_image, "previous": c.previous} for c in candidates}


def without_previous(candidates: list[RollbackCandidate]) -> list[str]:
    """The containers with nothing to roll back to, each with what it runs."""
    return [f"{c.container} (running {c.running_image})" for c in candidates if not c.ready]
