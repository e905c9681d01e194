"""Where a CSV file's first N lines end, in bytes, when each of those lines is plainly one row to the parser.

A delta starts parsing a file after its leading rows that are all at or below the watermark (see
`delta_scan`). The parser counts rows, a file seek needs bytes: the two agree only where no quote can
hide a line break in a field, no line is blank (the parser skips those; to be safe, no line may start with
a space or a tab either), every carriage return ends a line with its line feed and no NUL byte appears.
Each encoding a mapping can name (utf-8, gbk, gb18030) writes a line feed only as a line feed. The checks
are substring searches over blocks of bytes: the Python `csv` module would cost about what parsing does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BLOCK = 1 << 22
LF, CR = ord("\n"), ord("\r")
STARTS_UNPLAIN = np.array([LF, CR, ord(" "), ord("\t")], dtype=np.uint8)  # a blank line, or one that may be


def offset_after_lines(path: Path, lines: int) -> int | None:
    """The byte offset just after the first `lines` lines of the file; None when one of those lines is not
    plainly one row (see above), or the file has fewer lines."""
    passed, offset, before = 0, 0, b"\n"  # `before`: the byte before the block (the file starts a line)
    with path.open("rb") as handle:
        while passed < lines and (block := handle.read(BLOCK)):
            count = block.count(b"\n")
            if passed + count >= lines:  # the block ends at the last of those lines
                ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == LF)
                block, count = block[:int(ends[lines - passed - 1]) + 1], lines - passed
            if b'"' in block or b"\x00" in block or not _plain(np.frombuffer(before + block, dtype=np.uint8)):
                return None
            before = block[-1:]
            passed, offset = passed + count, offset + len(block)
    return offset if passed == lines else None


def _plain(data: np.ndarray) -> bool:
    """No line that starts in `data` (the byte before a block, then the block) starts blank or with a space or
    tab, and every carriage return is followed by a line feed."""
    starts = np.flatnonzero(data == LF) + 1
    if bool(np.isin(data[starts[starts < len(data)]], STARTS_UNPLAIN).any()):
        return False
    crs = np.flatnonzero(data == CR)
    return not len(crs) or (int(crs[-1]) + 1 < len(data) and bool((data[crs + 1] == LF).all()))
