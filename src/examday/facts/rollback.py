"""Rollback readiness: an image other than the running one, present locally."""

from __future__ import annotations

from dataclasses import dataclass

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
