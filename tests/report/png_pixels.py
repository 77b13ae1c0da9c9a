"""The colours in a PNG screenshot, read with the standard library (no imaging package is installed).

Enough for Chromium's screenshots: 8-bit RGB or RGBA, not interlaced, the five PNG row filters.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter


def colour_counts(png: bytes) -> Counter[tuple[int, int, int]]:
    """How many pixels of each (r, g, b) colour the image has."""
    width, height, depth, colour_type, interlace = _header(png)
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}, interlace {interlace}")
    channels = 4 if colour_type == 6 else 3
    raw = zlib.decompress(b"".join(data for kind, data in _chunks(png) if kind == b"IDAT"))
    stride = width * channels
    counts: Counter[tuple[int, int, int]] = Counter()
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, channels)
        counts.update(zip(line[0::channels], line[1::channels], line[2::channels]))
        previous = line
    return counts


def _header(png: bytes) -> tuple[int, int, int, int, int]:
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG")
    kind, data = next(_chunks(png))
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", data)
    return width, height, depth, colour_type, interlace


def _chunks(png: bytes):  # noqa: ANN202 - yields (type, data)
    offset = 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        yield png[offset + 4:offset + 8], png[offset + 8:offset + 8 + length]
        offset += 12 + length


def _unfilter(kind: int, line: bytearray, above: bytearray, bpp: int) -> bytearray:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = above[i]
        corner = above[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
    return line


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)
