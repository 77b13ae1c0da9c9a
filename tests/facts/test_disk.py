"""PRE-CAP-02's reading of `df -P -k`: real output, and output that is not df's."""

from __future__ import annotations

import pytest

from examday.facts.disk import parse_df
from examday.probes.errors import BadResponse

# `df -P -k /var/lib/postgresql/data` in the sandbox's postgres container.
DF = """Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/vda1        102687672 61234568  36193840      63% /var/lib/postgresql/data
"""


def test_total_and_available_come_from_the_last_line():
    volume = parse_df("/var/lib/postgresql/data", DF)
    assert (volume.total_kb, volume.available_kb) == (102687672, 36193840)
    assert volume.free_pct == pytest.approx(35.25, abs=0.01)
    assert volume.as_evidence()["free_pct"] == 35.2


@pytest.mark.parametrize("output", ["", "df: /data: No such file or directory\n", "Filesystem 1024-blocks\n",
                                    "Filesystem ...\n/dev/vda1 - - - - /data\n"])
def test_output_that_is_not_dfs_says_so(output):
    with pytest.raises(BadResponse, match="gave no usable line"):
        parse_df("/data", output)
