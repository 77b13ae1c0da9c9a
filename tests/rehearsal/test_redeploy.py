"""The rollback drill's redeploy on a real engine: a twin with the container's configuration on the
other image, the original kept aside untouched, and rolling forward brings the original back."""

from __future__ import annotations

import uuid
from typing import Any

import docker.errors
import pytest

from examday.rehearsal.redeploy import kept_name, redeploy, restore
from tests.fixtures.services import TEST_LABEL


@pytest.fixture
def network(docker_client: Any) -> Any:
    created = docker_client.networks.create(f"examday-test-redeploy-{uuid.uuid4().hex[:8]}",
                                            labels={TEST_LABEL: "probes"})
    yield created
    created.remove()


@pytest.fixture
def release(docker_client: Any, run_container: Any, base_image: str, network: Any) -> Any:
    """A running 'release': env, a label, a health check, and a network alias as compose gives one."""
    container = run_container(base_image, ["sleep", "300"], role="release", environment={"RELEASE_SETTING": "kept"},
                              labels={"com.example.service": "backend"}, network_mode=network.name,
                              healthcheck={"test": ["CMD", "true"], "interval": 1_000_000_000})
    network.disconnect(container)
    network.connect(container, aliases=["backend"])
    yield docker_client.containers.get(container.id)
    for name in (container.name, kept_name(container.name)):
        try:
            docker_client.containers.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass


def test_the_twin_runs_the_other_image_with_the_same_configuration(docker_client, release, procps_image, network):
    name, original_id = release.name, release.id
    twin_id = redeploy(docker_client, name, procps_image)
    twin, kept = docker_client.containers.get(name), docker_client.containers.get(kept_name(name))
    assert twin.id == twin_id != original_id and kept.id == original_id
    assert twin.status == "running" and kept.status == "exited"
    assert twin.image.id == docker_client.images.get(procps_image).id
    assert "RELEASE_SETTING=kept" in twin.attrs["Config"]["Env"]
    assert twin.labels["com.example.service"] == "backend"
    assert twin.attrs["Config"]["Healthcheck"]["Test"] == ["CMD", "true"]
    assert "backend" in twin.attrs["NetworkSettings"]["Networks"][network.name]["Aliases"]


def test_rolling_forward_brings_back_the_original_and_removes_the_twin(docker_client, release, procps_image):
    name, original_id = release.name, release.id
    twin_id = redeploy(docker_client, name, procps_image)
    restore(docker_client, name)
    back = docker_client.containers.get(name)
    assert back.id == original_id and back.status == "running"
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(twin_id)
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(kept_name(name))


def test_rolling_forward_when_nothing_was_set_aside_just_makes_sure_it_runs(docker_client, release):
    release.stop(timeout=1)
    restore(docker_client, release.name)
    assert docker_client.containers.get(release.name).status == "running"
