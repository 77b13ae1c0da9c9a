"""What was observed for each item: values, not prose, kept for the record."""

from __future__ import annotations

from typing import Any

import pytest

EVIDENCE_KEY = pytest.StashKey["Evidence"]()


class Evidence:
    """A per-item recorder: `evidence.record(days_left=41.2)` or `evidence["key"] = value`.

    Values should be plain JSON data (numbers, strings, lists, dicts); anything
    else is stored as its str(). Redaction happens when the record is written.
    """

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self.figures: dict[str, str] = {}  # name -> one <svg> element, drawn inline in checklist.html

    def figure(self, name: str, svg: str) -> None:
        """A picture for the record (e.g. latency over time); examday's own SVG, no script."""
        if not svg.lstrip().startswith("<svg") or "<script" in svg.lower():
            raise ValueError(f"figure {name!r} is not a script-free <svg> element")
        self.figures[name] = svg

    def record(self, **values: Any) -> None:
        for key, value in values.items():
            self._values[key] = _plain(value)

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[key] = _plain(value)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def __bool__(self) -> bool:
        return bool(self._values)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if hasattr(value, "as_evidence"):
        return _plain(value.as_evidence())
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        return _plain(dataclasses.asdict(value))
    return str(value)


def evidence_of(node: pytest.Item) -> Evidence:
    if EVIDENCE_KEY not in node.stash:
        node.stash[EVIDENCE_KEY] = Evidence()
    return node.stash[EVIDENCE_KEY]
