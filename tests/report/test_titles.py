"""An item's title names the target's own thresholds, not the runbook's defaults."""

from __future__ import annotations

import json
from pathlib import Path

from tests.report.helpers import SYNTHETIC_CONFIG, SyntheticChecklist

ITEM = """
    @item("DUR-LAT-01", "Request latency (p95 should be < {p95_ms}ms)", remediation="look at the slow routes")
    @pytest.mark.during
    def test_latency():
        pass

    @item("DUR-ERR-01", "Error rates (should be < {error_rate})", remediation="read the 5xx lines")
    @pytest.mark.during
    def test_errors():
        pass
"""


def titles(site: SyntheticChecklist) -> dict[str, str]:
    [record] = site.records
    return {i["id"]: i["title"] for i in json.loads((record / "results.json").read_text())["items"]}


def test_titles_show_the_configured_thresholds(tmp_path: Path) -> None:
    site = SyntheticChecklist(tmp_path / "site", SYNTHETIC_CONFIG + "[thresholds]\np95_ms = 300\nerror_rate = 0.005\n")
    done = site.items(ITEM).run("-m", "during")
    assert done.returncode == 0, done.stdout
    assert titles(site) == {"DUR-LAT-01": "Request latency (p95 should be < 300ms)",
                            "DUR-ERR-01": "Error rates (should be < 0.5%)"}


def test_without_thresholds_the_titles_read_as_the_runbook_writes_them(synthetic: SyntheticChecklist) -> None:
    assert synthetic.items(ITEM).run("-m", "during").returncode == 0
    assert titles(synthetic) == {"DUR-LAT-01": "Request latency (p95 should be < 500ms)",
                                 "DUR-ERR-01": "Error rates (should be < 1%)"}
    catalog = synthetic.run("-m", "during", "--examday-catalog").stdout
    assert "p95 should be < 500ms" in catalog
