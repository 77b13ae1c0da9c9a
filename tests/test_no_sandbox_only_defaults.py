"""No default of examday names a surface only the sandbox has (docs/platform.md's second rule).

The extensions are listed in sandbox/README.md ("2. Extensions"); the surfaces the old
sandbox had and the real platform lacks are listed here. None may appear in the library
(outside its sandbox package, which drives them) or in checks/.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Surfaces an earlier sandbox had and the real platform lacks (docs/platform.md).
GONE_FROM_THE_PLATFORM = ("RATE_LIMIT_LOGIN_PER_MINUTE", "RATE_LIMIT_API_PER_MINUTE", "RATE_LIMIT_FAIL_MODE",
                          "SCHEDULED_JOBS_ENABLED", "exam_platform_worker", "exam_platform_backup", "exam_code",
                          '"system/exam-mode"', "exam_id", "/exams")


def extension_names() -> list[str]:
    """The first column of sandbox/README.md's extension table, each `code` name in it."""
    text = (REPO / "sandbox" / "README.md").read_text()
    table = text.split("## 2. Extensions", 1)[1].split("\n## ", 1)[0]
    names = []
    for line in table.splitlines():
        cells = line.split("|")
        if len(cells) > 2 and "`" in cells[1]:
            names += re.findall(r"`([^`]+)`", cells[1])
    return names


def default_sources() -> list[Path]:
    library = [p for p in (REPO / "src" / "examday").rglob("*.py") if "sandbox" not in p.relative_to(REPO).parts[2:3]]
    return library + list((REPO / "checks").rglob("*.py")) + list((REPO / "checks").rglob("*.sql"))


def test_the_extension_table_lists_the_fault_knobs():
    names = extension_names()
    assert "SANDBOX_FAULT_CRASH_SHARE" in names and "examday_sandbox_students" in names


def test_no_default_names_an_extension_or_a_surface_the_platform_lacks():
    # a pattern ("EXAMDAY_* compose variables") names no single surface: only whole names count
    wanted = [n for n in extension_names() if "*" not in n] + list(GONE_FROM_THE_PLATFORM)
    found = {f"{path.relative_to(REPO)}: {name}" for path in default_sources() for name in wanted
             if name in path.read_text()}
    assert not found, "sandbox-only surfaces named by defaults: " + "; ".join(sorted(found))
