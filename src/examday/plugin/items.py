"""Reading item metadata off collected tests, and refusing a checklist without it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

import pytest

from examday.checklist import ITEM_ID_PATTERN, PHASES, ItemMeta
from examday.config import ExamdayConfig, LogsConfig, ThresholdsConfig
from examday.facts.common_issues import COMMON_ISSUES

ID_PATTERN = re.compile(ITEM_ID_PATTERN)
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
        if meta.triage and meta.triage not in COMMON_ISSUES:
            problems.append(f"{node.nodeid} ({meta.id}): triage {meta.triage!r} is none of the runbook's issues "
                            f"({', '.join(COMMON_ISSUES)})")
        # A parametrized test is one item per parameter set; the ID is shared on purpose.
        owner = node.nodeid.split("[")[0]
        if meta.id in seen and seen[meta.id] != owner:
            problems.append(f"{node.nodeid}: duplicate checklist ID {meta.id} (also {seen[meta.id]})")
        seen.setdefault(meta.id, owner)
        node.stash[META_KEY] = meta
    return problems


def show_thresholds(nodes: Iterable[pytest.Item], config: ExamdayConfig | None) -> None:
    """Titles name the target's own thresholds: "(p95 should be < {p95_ms}ms)" reads the configured
    p95_ms ([thresholds] and [logs]; their defaults without a target)."""
    words = threshold_words(config)
    for node in nodes:
        meta = meta_of(node)
        if meta is not None and "{" in meta.title:
            node.stash[META_KEY] = replace(meta, title=meta.title.format_map(words))


def threshold_words(config: ExamdayConfig | None) -> dict[str, str]:
    limits = config.thresholds if config else ThresholdsConfig()
    logs = config.logs if config else LogsConfig()
    return {"p95_ms": f"{limits.p95_ms:g}", "error_rate": _percent(limits.error_rate),
            "pool_usage": _percent(limits.pool_usage), "cpu_pct": f"{limits.cpu_pct:g}%",
            "mem_pct": f"{limits.mem_pct:g}%", "slow_ms": f"{logs.slow_ms:g}", "very_slow_ms": f"{logs.very_slow_ms:g}"}


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g}%"
