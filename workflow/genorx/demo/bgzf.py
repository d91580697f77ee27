"""BGZF blocks written directly, so long runs of identical text compress once.

A BGZF file is a series of gzip members (each at most 64 KiB uncompressed) carrying their
own size in a ``BC`` extra field, ending with an empty EOF block (SAM/BAM spec, 4.1).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator

MAX_BLOCK = 65280  # uncompressed bytes per block, as htslib uses
EOF_BLOCK = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def block(data: bytes, level: int = 6) -> bytes:
    """One BGZF block holding ``data`` (at most MAX_BLOCK bytes)."""
    if len(data) > MAX_BLOCK:
        raise ValueError(f"BGZF block of {len(data)} bytes exceeds {MAX_BLOCK}")
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    cdata = comp.compress(data) + comp.flush()
    bsize = 18 + len(cdata) + 8 - 1
    header = struct.pack("<4BI2BH2BHH", 0x1F, 0x8B, 8, 4, 0, 0, 0xFF, 6, ord("B"), ord("C"), 2, bsize)
    return header + cdata + struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data))


def compress_chunks(chunks: Iterable[bytes], level: int = 6) -> Iterator[bytes]:
    """BGZF blocks for a stream of chunks (each at most MAX_BLOCK), reusing repeated ones."""
    cache: dict[bytes, bytes] = {}
    for chunk in chunks:
        if not chunk:
            continue
        hit = cache.get(chunk)
        if hit is None:
            hit = block(chunk, level)
            if len(cache) < 64:
                cache[chunk] = hit
        yield hit
    yield EOF_BLOCK
