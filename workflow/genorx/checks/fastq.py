"""Paired FASTQ files: readable to the end (a truncated gzip is caught), same record count.

The whole file is decompressed once (zlib, large blocks) and newlines are counted; the
first record of each file is checked for FASTQ layout. This is the cheap, streaming part
of validation that must happen before reads reach the aligner, which would otherwise stop
silently at a truncated member or pair reads wrongly.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from genorx.errors import input_error

CHUNK = 1 << 22


@dataclass(frozen=True, slots=True)
class FastqSummary:
    path: Path
    records: int
    first_name: str


def _blocks(path: Path) -> Iterator[bytes]:
    """Decompressed blocks of a plain or gzipped (multi-member, BGZF) file."""
    with open(path, "rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        if head != b"\x1f\x8b":
            while block := fh.read(CHUNK):
                yield block
            return
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        in_member = False
        while raw := fh.read(CHUNK):
            while raw:
                in_member = True
                yield d.decompress(raw)
                if not d.eof:
                    break
                raw, in_member = d.unused_data, False
                d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        if in_member:
            raise EOFError("compressed stream ends before its end marker")


def summarise(path: Path) -> FastqSummary:
    """Count records; raise a one-line error for truncation or a non-FASTQ layout."""
    lines = 0
    first = b""
    last_byte = b"\n"
    try:
        for block in _blocks(path):
            if not block:
                continue
            if len(first) < 4096:
                first += block[:4096]
            lines += block.count(b"\n")
            last_byte = block[-1:]
    except (EOFError, zlib.error, OSError) as exc:
        raise input_error(
            path,
            None,
            f"the file is truncated or corrupt ({exc})",
            "copy or download it again (gzip -t should pass)",
        ) from exc
    if last_byte != b"\n":
        lines += 1
    head = first.split(b"\n", 4)
    if lines == 0:
        raise input_error(path, None, "the file has no reads", "give the sample's FASTQ file")
    if len(head) < 4 or not head[0].startswith(b"@") or not head[2].startswith(b"+"):
        raise input_error(
            path, "record 1", "not FASTQ (expected '@name', sequence, '+', qualities)", "check the file"
        )
    if len(head[1].rstrip(b"\r")) != len(head[3].rstrip(b"\r")):
        raise input_error(path, "record 1", "sequence and quality lengths differ", "check the file")
    if lines % 4:
        raise input_error(
            path,
            f"line {lines}",
            f"{lines} lines is not a whole number of 4-line records (truncated?)",
            "copy or download it again",
        )
    name = head[0][1:].split()[0].decode(errors="replace")
    return FastqSummary(path, lines // 4, name)


def _base_name(name: str) -> str:
    return name[:-2] if name.endswith(("/1", "/2")) else name


def check_pair(r1: Path, r2: Path) -> tuple[FastqSummary, FastqSummary]:
    """Both mates readable, same number of records, first names matching."""
    s1, s2 = summarise(r1), summarise(r2)
    if s1.records != s2.records:
        raise input_error(
            r2,
            None,
            f"{s2.records} reads but its mate file {r1.name} has {s1.records} (mate counts differ)",
            "give the two files of the same run (R1 and R2 must list the same read pairs in order)",
        )
    if _base_name(s1.first_name) != _base_name(s2.first_name):
        raise input_error(
            r2,
            "record 1",
            f"read {s2.first_name!r} does not pair with {s1.first_name!r} in {r1.name}",
            "give the two files of the same run, in the same order",
        )
    return s1, s2
