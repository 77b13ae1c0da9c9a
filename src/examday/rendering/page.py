"""A static HTML page: every value escaped, no JavaScript, and a Content-Security-Policy that says so
to the browser too (the records are opened from disk, mailed and printed)."""

from __future__ import annotations

import html
from typing import Any

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def escape(value: Any) -> str:
    """``value`` as text safe in HTML content and in quoted attributes; None is empty."""
    return html.escape("" if value is None else str(value), quote=True)


def page_head(title: str, style: str, *, refresh_s: int | None = None) -> str:
    """From the doctype to the opening <body>: charset, CSP, viewport, title and the page's own CSS;
    ``refresh_s`` reloads the page (the live trend page)."""
    refresh = [f'<meta http-equiv="refresh" content="{refresh_s}">'] if refresh_s else []
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        *refresh,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{style}</style></head><body>",
    ])
