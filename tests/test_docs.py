"""What the code and the items cite lives in the repository (docs/), and stays true to the code:
docs/runbook.md is written from the items' metadata, every item has references, and every reference
names a heading that exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
CITED_FROM_OUTSIDE = re.compile(r"\b(?:PLATFORM|RUNBOOK)\.md\b")


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped except - and _, spaces to hyphens."""
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#{1,6} (.+)$", markdown, re.MULTILINE)}


def generated_map(tmp_path: Path) -> str:
    out = tmp_path / "runbook.md"
    done = subprocess.run([sys.executable, "-m", "pytest", str(REPO / "checks"), "-q", "-p", "no:cacheprovider",
                           "--rootdir", str(REPO), f"--examday-runbook-map={out}"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.exists(), done.stdout + done.stderr
    return out.read_text(encoding="utf-8")


def test_docs_runbook_is_written_from_the_items(tmp_path):
    current = (DOCS / "runbook.md").read_text(encoding="utf-8")
    assert current == generated_map(tmp_path), (
        "docs/runbook.md is stale: refresh it with `pytest checks --examday-runbook-map=docs/runbook.md`")


def test_every_item_has_references_and_each_names_a_heading_of_docs(tmp_path):
    rows = [line.split(" | ") for line in generated_map(tmp_path).splitlines() if re.match(r"\| [A-Z]+-", line)]
    assert len(rows) >= 58
    unreferenced = [row[0].strip("| ") for row in rows if not row[3].strip(" |")]
    assert not unreferenced, f"items without references=: {unreferenced}"
    headings = {path.name: anchors(path.read_text(encoding="utf-8")) for path in DOCS.glob("*.md")}
    cited = {link for row in rows for link in re.findall(r"\]\(([^)]+)\)", row[3])}
    broken = sorted(link for link in cited
                    if link.split("#")[1] not in headings.get(link.split("#")[0], set()))
    assert not broken, f"references to no heading: {broken}"


def test_nothing_cites_a_document_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=REPO, check=True).stdout
    citing = [name for name in tracked.split() if name.endswith((".py", ".md", ".toml", ".yml"))
              and (REPO / name).is_file() and CITED_FROM_OUTSIDE.search((REPO / name).read_text(errors="replace"))
              and name != "tests/test_docs.py"]
    assert not citing, f"cite PLATFORM.md or RUNBOOK.md (outside the repo; cite docs/ instead): {citing}"


def test_the_anchor_rule_matches_githubs():
    assert anchors("## Exam mode and FREEZE_UPDATES\n## Pre-Exam Checklist / Communication") == {
        "exam-mode-and-freeze_updates", "pre-exam-checklist--communication"}
