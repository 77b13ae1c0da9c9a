"""summary.html of a capture bundle: the figures a post-mortem starts from, on one page.

Static HTML and CSS (no JavaScript; the Content-Security-Policy says so), every
value escaped. Bars drawn in CSS show pool usage, status classes and container
resources at a glance; the JSON files beside it hold everything.
"""

from __future__ import annotations

from typing import Any

from examday.rendering.page import escape as _e, page_head

STYLE = """
body { font: 10pt/1.4 "DejaVu Sans", Arial, sans-serif; color: #111; max-width: 200mm; margin: 0 auto; padding: 6mm; }
h1 { font-size: 15pt; margin: 0 0 2mm; } h2 { font-size: 11.5pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; }
th, td { border: 1px solid #bbb; padding: 1mm 1.6mm; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eee; } td.num { text-align: right; white-space: nowrap; }
.bar { background: #e8e8e8; height: 3.2mm; width: 60mm; display: inline-block; vertical-align: middle; }
.bar span { display: block; height: 100%; background: #3b6ea8; }
.bar span.high { background: #b3261e; }
.stack { display: flex; height: 4mm; width: 100%; margin: 1mm 0 3mm; }
.stack span { display: block; height: 100%; }
.s2xx { background: #1a7f37; } .s3xx { background: #6b8fbf; } .s4xx { background: #d4a72c; } .s5xx { background: #b3261e; }
.error { color: #b3261e; } .note { color: #555; font-size: 9pt; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
"""
HIGH_FRACTION = 0.8  # a bar turns red from here


def render_summary(index: dict[str, Any], sections: dict[str, Any]) -> str:
    parts = [_header(index), _errors(index.get("errors", {}))]
    renderers = {"requests": _requests, "pool": _pool, "sessions": _sessions, "resources": _resources,
                 "redis": _redis, "proxy": _proxy}
    parts += [render(sections[name]) for name, render in renderers.items() if name in sections]
    return (page_head(f"examday capture: {index.get('target')}", STYLE) + "".join(parts) + "</body></html>\n")


def _header(index: dict[str, Any]) -> str:
    rows = [("target", index.get("target")), ("exam", index.get("exam") or "-"),
            ("window since", index.get("window_since")), ("captured at", index.get("captured_at"))]
    return "<h1>Post-exam metrics capture</h1>" + _key_values(rows)


def _errors(errors: dict[str, str]) -> str:
    if not errors:
        return ""
    items = "".join(f"<li><b>{_e(name)}</b>: {_e(message)}</li>" for name, message in errors.items())
    return f'<h2 class="error">Sections not captured</h2><ul class="error">{items}</ul>'


def _key_values(rows: list[tuple[str, Any]]) -> str:
    return "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows) + "</table>"


def _bar(fraction: float | None) -> str:
    if fraction is None:
        return "-"
    width = max(0.0, min(fraction, 1.0)) * 100
    return (f'<span class="bar"><span class="{"high" if fraction >= HIGH_FRACTION else ""}" '
            f'style="width:{width:.1f}%"></span></span> {fraction * 100:.1f}%')


def _requests(data: dict[str, Any]) -> str:
    classes = data.get("status_classes", {})
    total = sum(classes.values()) or 1
    stack = "".join(f'<span class="s{_e(k)}" style="width:{v / total * 100:.2f}%" title="{_e(k)} {v}"></span>'
                    for k, v in classes.items() if v)
    latency = data.get("latency_ms") or {}
    slow = [(k, v) for k, v in data.items() if k.startswith("slow_over_")]
    rows = [("requests (sampled paths apart)", f"{data.get('requests')} ({data.get('sampled_requests')} sampled)"),
            ("status classes", ", ".join(f"{k}: {v}" for k, v in classes.items())),
            ("429 rate limited", data.get("rate_limited_429")), ("error rate (5xx)", data.get("error_rate")),
            *[(f"latency {k.removesuffix('_ms')}", f"{v} ms") for k, v in latency.items()],
            *[(k.replace("_", " "), v) for k, v in slow], ("slow SQL events", data.get("slow_sql"))]
    sample = data.get("request_id_sample", {})
    return ("<h2>Requests</h2>" + f'<div class="stack">{stack}</div>' + _key_values(rows)
            + _request_table("Slowest requests", sample.get("slowest", []))
            + _request_table("Server errors", sample.get("server_errors", [])))


def _request_table(title: str, requests: list[dict[str, Any]]) -> str:
    if not requests:
        return f'<p class="note">{_e(title)}: none.</p>'
    rows = "".join(f"<tr><td>{_e(r['request_id'])}</td><td>{_e(r['path'])}</td><td class=num>{_e(r['status'])}</td>"
                   f"<td class=num>{_e(r['duration_ms'])} ms</td><td>{_e(r['timestamp'])}</td></tr>" for r in requests)
    return (f"<h3>{_e(title)}</h3><table><tr><th>request ID</th><th>path</th><th>status</th><th>latency</th>"
            f"<th>at</th></tr>{rows}</table>")


def _pool(data: dict[str, Any]) -> str:
    rows = [("backend connections", data.get("backend_connections")),
            ("capacity: workers x (pool_size + max_overflow)", data.get("capacity")),
            ("all connections", data.get("total_connections"))]
    return f"<h2>Database pool</h2><p>pool usage {_bar(data.get('pool_usage'))}</p>" + _key_values(rows)


def _sessions(data: dict[str, Any]) -> str:
    rows = data.get("by_status", [])
    if not rows:
        return "<h2>Sessions</h2><p class=note>no sessions.</p>"
    head = "".join(f"<th>{_e(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row.values()) + "</tr>" for row in rows)
    return f"<h2>Sessions by status</h2><table><tr>{head}</tr>{body}</table>"


def _resources(data: dict[str, Any]) -> str:
    body = "".join(f"<tr><td>{_e(name)}</td><td>{_bar(r['cpu_pct'] / 100)}</td><td>{_bar(r['memory_pct'] / 100)}"
                   f" ({_e(r['memory_used_mb'])} of {_e(r['memory_limit_mb'])} MB)</td></tr>"
                   for name, r in data.items())
    return ("<h2>Containers (share of their limits)</h2><table><tr><th>container</th><th>CPU</th><th>memory</th>"
            f"</tr>{body}</table>")


def _redis(data: dict[str, Any]) -> str:
    wanted = [("clients", "connected_clients"), ("clients", "blocked_clients"), ("memory", "used_memory_human"),
              ("memory", "maxmemory_human"), ("stats", "total_commands_processed"), ("stats", "rejected_connections"),
              ("stats", "evicted_keys"), ("stats", "keyspace_hits"), ("stats", "keyspace_misses"),
              ("persistence", "aof_enabled"), ("persistence", "rdb_last_bgsave_status")]
    rows = [(field, data.get(section, {}).get(field)) for section, field in wanted]
    return "<h2>Redis</h2>" + _key_values(rows)


def _proxy(data: dict[str, Any]) -> str:
    routes = data.get("routes", {})
    rows = [("source", routes.get("source")), ("routes", routes.get("routes")),
            ("unhealthy", ", ".join(routes.get("unhealthy", [])) or "none"),
            ("error lines in its log", data.get("log_error_lines"))]
    sample = "".join(f"<li><code>{_e(line)}</code></li>" for line in data.get("log_error_sample", [])[:5])
    return "<h2>Proxy</h2>" + _key_values(rows) + (f"<ul>{sample}</ul>" if sample else "")
