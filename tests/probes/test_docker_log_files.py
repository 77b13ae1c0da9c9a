"""A container's log read from its json-file log directly gives what the engine's API gives."""

from __future__ import annotations

from typing import Any

import pytest

from examday.probes.docker import DockerProbe
from examday.probes.docker_log_files import API, JSON_FILE, LogSource
from tests.fixtures.services import ContainerFactory, wait_until
from tests.probes.test_docker import probe  # noqa: F401 - the fixture, shared

# 600 short lines, a 20,000-byte one (docker splits it into 16 KiB entries), text that is not
# ASCII and a byte that is not UTF-8, on stdout and stderr; 20 kB log files, so they rotate.
SCRIPT = ('i=0; while [ $i -lt 600 ]; do echo "{\\"n\\": $i, \\"event\\": \\"request.end\\"}"; '
          'i=$((i+1)); done; echo "é ü" >&2; sleep 0.3; head -c 20000 /dev/zero | tr "\\0" x; echo; '
          'printf "\\377bad\\n"; echo done; exec sleep 300')
MAX_LINE_BYTES = 4096


@pytest.fixture(scope="module")
def rotating(run_container: ContainerFactory, base_image: str) -> Any:
    container = run_container(base_image, ["sh", "-c", SCRIPT], role="jsonlog",
                              log_config={"type": "json-file", "config": {"max-size": "20k", "max-file": "9"}})
    wait_until(lambda: b"done" in container.logs(), 20, "the log lines")
    return container


def test_the_file_and_the_api_give_the_same_entries(probe: DockerProbe, rotating: Any) -> None:
    source = probe.log_source(rotating.name)
    assert source.kind == JSON_FILE and source.container_id == rotating.id
    assert source.log_path is not None and source.log_path.with_name(source.log_path.name + ".1").exists()
    through_api = LogSource(source.container_id, None, None)
    assert through_api.kind == API
    from_file = list(probe.log_entries(rotating.name, source, 0, MAX_LINE_BYTES))
    from_api = list(probe.log_entries(rotating.name, through_api, 0, MAX_LINE_BYTES))
    lines = [line for _, line in from_file]
    assert lines == list(probe.logs(rotating.name, max_line_bytes=MAX_LINE_BYTES))
    stdout = [line for line in lines if line != "é ü"]  # stderr's copier may get there first
    assert len(lines) == 604 and stdout[600:] == ["x" * (MAX_LINE_BYTES + 1), "\ufffdbad", "done"]
    # In order on each stream; not across them (each has its own copier, stamping as it reads).
    stamps = [ns for ns, line in from_file if line != "é ü"]
    assert stamps == sorted(stamps)
    # The API stamps each 16 KiB piece of a long line: only that (oversized anyway) line differs.
    assert [entry for entry in from_api if entry[1][:1] != "x"] == [entry for entry in from_file if entry[1][:1] != "x"]
    middle = from_file[300][0]
    assert list(probe.log_entries(rotating.name, source, middle, MAX_LINE_BYTES)) == [
        entry for entry in from_file if entry[0] >= middle]
