"""A figure in the README's Figures table comes from the results file the bench wrote: each row that
names a file under bench/results/ shows, in bold, the ratio that file holds. Re-running a bench and
not the README (or the other way round) fails here, so no figure goes stale silently."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

# Figures row (its first cell starts so) -> the results file, the key of its headline ratio, how it is shown.
FIGURES = [
    ("pre-exam phase", "bench/results/preexam.json", "ratio_examday_over_shell", "{:.2f}x"),
    ("log analysis", "bench/results/logs.json", "ratio_examday_over_jq", "{:.2f}x"),
    ("load generator", "bench/results/load.json", "ratio_cpu_examday_over_wrk", "{:.2f}"),
    ("load engines", "bench/results/engines.json", "ratio_cpu_locust_over_wrk", "{:.3f}"),
    ("a during round's database reads", "bench/results/watch_db.json", "round_large_over_small", "{:.2f}x"),
    ("a watch round's backend log read", "bench/results/watch_logs.json", "ratio_api_over_first_round", "{:.2f}x"),
]


def figures_row(first_cell: str) -> str:
    rows = [line for line in README.read_text(encoding="utf-8").splitlines()
            if line.startswith(f"| {first_cell}")]
    assert len(rows) == 1, f"README's Figures table has {len(rows)} rows starting {first_cell!r}"
    return rows[0]


@pytest.mark.parametrize("first_cell, results, key, shown", FIGURES, ids=[f[0] for f in FIGURES])
def test_the_readme_figure_is_the_one_in_its_results_file(first_cell, results, key, shown):
    row = figures_row(first_cell)
    assert results in row, f"the {first_cell!r} row does not name {results}, where its figure comes from"
    value = json.loads((REPO / results).read_text(encoding="utf-8"))[key]
    bold = re.findall(r"\*\*([^*]+)\*\*", row)
    assert shown.format(value) in bold, (
        f"README shows {bold} for {first_cell!r}, {results} holds {key} = {value}: re-run the bench "
        "and copy its figure, or restore the results file")
