"""Reading item metadata off collected tests, and refusing a checklist without it."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest

from examday.checklist import PHASES, ItemMeta

ID_PATTERN = re.compile(r"^[A-Z]{2,5}-[A-Z]{2,5}-\d{2}$")
META_KEY = pytest.StashKey[ItemMeta]()


def meta_of(node: pytest.Item) -> ItemMeta | None:
    return node.stash.get(META_KEY, None)


def phases_of(node: pytest.Item) -> list[str]:
    return [p for p in PHASES if node.get_closest_marker(p) is not None]


def attach_metadata(items: Iterable[pytest.Item]) -> list[str]:
    """Stash each checklist test's ItemMeta; return the problems found (missing/duplicate/bad IDs)."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for node in items:
        marker = node.get_closest_marker("examday_item")
        if marker is None:
            problems.append(f"{node.nodeid}: no checklist ID (decorate it with @item(\"XXX-YYY-NN\", ...))")
            continue
        meta: ItemMeta = marker.args[0]
        if not ID_PATTERN.match(meta.id):
            problems.append(f"{node.nodeid}: ID {meta.id!r} is not of the form PRE-INF-01")
        if not phases_of(node):
            problems.append(f"{node.nodeid} ({meta.id}): no phase marker ({', '.join(PHASES)})")
        # A parametrized test is one item per parameter set; the ID is shared on purpose.
        owner = node.nodeid.split("[")[0]
        if meta.id in seen and seen[meta.id] != owner:
            problems.append(f"{node.nodeid}: duplicate checklist ID {meta.id} (also {seen[meta.id]})")
        seen.setdefault(meta.id, owner)
        node.stash[META_KEY] = meta
    return problems
