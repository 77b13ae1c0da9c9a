"""No module of src/examday/ grows into a grab-bag: at most 400 lines each. A module that needs more
has more than one concern; split it along its layers (see the package docstrings for examples)."""

from __future__ import annotations

from pathlib import Path

MAX_LINES = 400
SRC = Path(__file__).resolve().parents[1] / "src" / "examday"


def test_no_module_is_over_400_lines():
    sizes = {str(path.relative_to(SRC)): len(path.read_text().splitlines()) for path in SRC.rglob("*.py")}
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert sizes and not too_long, f"over {MAX_LINES} lines: {too_long}"
