"""A log read in big blocks of bytes, cut into the lines a binary file's iteration would give.

``LogAnalyzer.feed_blocks`` takes blocks of any size (``BLOCK_BYTES`` is a good one) and must
land every line where ``_feed_careful`` over ``open(path, "rb")`` would: the same lines, each
with its "\\n", the last one without it when the data does not end with one.

Why blocks: an ASCII block is decoded to ``str`` once and split once, and the fast loop then
works on ``str`` lines, whose substring tests cost half those on ``bytes`` (``b"x" in line``
first tries the needle as an int and raises and clears a TypeError on every call).
A block that is not all ASCII is split as bytes and fed line by line (each line decides for
itself, as in ``feed_all``). Memory stays bounded: at most a block and one unfinished line
are held, and an unfinished line past ``max_line_bytes`` keeps only what proves it oversized.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

# 64 KiB, about 230 platform lines: measured fastest on the bench (the block and its text stay in the
# CPU's cache; 1 MiB blocks were 20% slower), and a small constant memory.
BLOCK_BYTES = 1 << 16


def split_blocks(blocks: Iterable[bytes], max_line_bytes: int) -> Iterator[tuple[bool, list[str] | list[bytes]]]:
    """(True, lines as str without their "\\n") for ASCII stretches, (False, lines as bytes with it)
    otherwise; last, (False, [the unterminated last line]) when there is one."""
    rest = b""  # the unfinished line: the end of the last block after its last "\n"
    for block in blocks:
        if not block:
            continue
        if block.isascii() and rest.isascii():
            lines: list[str] = block.decode("ascii").split("\n")
            lines[0] = rest.decode("ascii") + lines[0]
            unfinished = lines.pop()
            rest = unfinished.encode("ascii")
            if lines:
                yield True, lines
        else:
            pieces = (rest + block).split(b"\n")
            rest = pieces.pop()
            if pieces:
                yield False, [piece + b"\n" for piece in pieces]
        if len(rest) > max_line_bytes:  # oversized whatever follows: only its length matters (careful.py)
            rest = rest[: max_line_bytes + 1]
    if rest:
        yield False, [rest]
