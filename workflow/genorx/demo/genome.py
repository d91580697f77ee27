"""The demo reference: synthetic sequence in windows, ``N`` elsewhere, written bgzipped.

Sequence is held as uint8 codes 0-3 (A, C, G, T); 4 is N. Inside windows: random bases
(41% GC), low-complexity repeats every ~1.5 kb, the knowledge base's reference allele at every
defining position, and a paralog copy diverged by ~0.5% (see :mod:`genorx.demo.layout`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genorx.atomic import atomic_path
from genorx.demo.bgzf import EOF_BLOCK, MAX_BLOCK
from genorx.demo.bgzf import block as bgzf_block
from genorx.demo.layout import (
    PARALOG_CHROM,
    PARALOG_DIVERGENCE,
    PARALOG_SOURCE,
    Layout,
    paralog_copy_interval,
)

BASES = np.frombuffer(b"ACGTN", dtype=np.uint8)
CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    CODE[_b] = _i
    CODE[ord(chr(_b).lower())] = _i
GC_PROBS = np.array([0.295, 0.205, 0.205, 0.295])
REPEAT_SPACING = 1500
LINE_WIDTH = 60


@dataclass(slots=True)
class Genome:
    """Window sequences keyed by (chrom, start); the rest of every contig is N."""

    layout: Layout
    seqs: dict[tuple[str, int], np.ndarray]
    paralog_differences: list[int]  # 1-based positions in the copy that differ from the source

    def window_seq(self, chrom: str, start: int) -> np.ndarray:
        return self.seqs[(chrom, start)]

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Reference bases [start, end) 0-based; N outside windows."""
        out = np.full(end - start, 4, dtype=np.uint8)
        for w in self.layout.windows_on(chrom):
            lo, hi = max(start, w.start), min(end, w.end)
            if lo < hi:
                out[lo - start : hi - start] = self.seqs[(chrom, w.start)][lo - w.start : hi - w.start]
        return BASES[out].tobytes().decode()


def encode(seq: str) -> np.ndarray:
    return CODE[np.frombuffer(seq.encode(), dtype=np.uint8)]


def decode(codes: np.ndarray) -> str:
    return BASES[codes].tobytes().decode()


def _repeat(rng: np.random.Generator) -> np.ndarray:
    """A homopolymer or a short tandem repeat (unit 2-4) of 10-30 bases."""
    unit_len = int(rng.choice([1, 2, 3, 4], p=[0.35, 0.35, 0.15, 0.15]))
    unit = rng.choice(4, size=unit_len, p=GC_PROBS).astype(np.uint8)
    if unit_len > 1 and np.all(unit == unit[0]):
        unit[1] = (unit[0] + 1) % 4
    copies = {1: rng.integers(10, 19), 2: rng.integers(6, 13), 3: rng.integers(4, 9), 4: rng.integers(4, 7)}
    return np.tile(unit, int(copies[unit_len]))


def synthesize(layout: Layout, rng: np.random.Generator) -> Genome:
    seqs: dict[tuple[str, int], np.ndarray] = {}
    for w in layout.windows:
        seq = rng.choice(4, size=w.length, p=GC_PROBS).astype(np.uint8)
        n_rep = max(1, w.length // REPEAT_SPACING)
        for at in np.sort(rng.integers(50, w.length - 80, size=n_rep)):
            rep = _repeat(rng)
            seq[at : at + len(rep)] = rep
        seqs[(w.chrom, w.start)] = seq
    genome = Genome(layout=layout, seqs=seqs, paralog_differences=[])
    _stamp_kb(genome)
    genome.paralog_differences = _copy_paralog(genome, rng)
    return genome


def _locate(genome: Genome, chrom: str, pos0: int) -> tuple[np.ndarray, int]:
    for w in genome.layout.windows_on(chrom):
        if w.start <= pos0 < w.end:
            return genome.seqs[(chrom, w.start)], pos0 - w.start
    raise KeyError(f"{chrom}:{pos0 + 1} is outside the demo windows")


def _stamp_kb(genome: Genome) -> None:
    """The knowledge base's reference allele at each of its positions."""
    for p in genome.layout.kb:
        seq, off = _locate(genome, p.chrom, p.pos - 1)
        codes = encode(p.ref)
        keep = codes < 4  # an N in a definition leaves the synthetic base
        seq[off : off + len(codes)][keep] = codes[keep]


def _copy_paralog(genome: Genome, rng: np.random.Generator) -> list[int]:
    src_seq, src_off = _locate(genome, PARALOG_CHROM, PARALOG_SOURCE[0])
    length = PARALOG_SOURCE[1] - PARALOG_SOURCE[0]
    copy_start, _ = paralog_copy_interval()
    dst_seq, dst_off = _locate(genome, PARALOG_CHROM, copy_start)
    copy = src_seq[src_off : src_off + length].copy()
    n_diff = round(length * PARALOG_DIVERGENCE)
    sites = np.sort(rng.choice(np.arange(20, length - 20), size=n_diff, replace=False))
    copy[sites] = (copy[sites] + rng.integers(1, 4, size=n_diff)) % 4
    dst_seq[dst_off : dst_off + length] = copy
    return [copy_start + int(s) + 1 for s in sites]


def _fasta_chunks(genome: Genome) -> Iterator[tuple[str, bytes]]:
    """(contig, text) in BGZF-sized chunks aligned to whole lines; all-N chunks are shared."""
    line = LINE_WIDTH + 1
    per_chunk = MAX_BLOCK // line * LINE_WIDTH  # bases per chunk
    all_n = (b"N" * LINE_WIDTH + b"\n") * (per_chunk // LINE_WIDTH)
    for chrom, length in genome.layout.contigs.items():
        yield chrom, f">{chrom}\n".encode()
        windows = genome.layout.windows_on(chrom)
        for start in range(0, length, per_chunk):
            end = min(length, start + per_chunk)
            if end - start == per_chunk and not any(w.start < end and start < w.end for w in windows):
                yield chrom, all_n
                continue
            codes = np.full(end - start, 4, dtype=np.uint8)
            for w in windows:
                lo, hi = max(start, w.start), min(end, w.end)
                if lo < hi:
                    codes[lo - start : hi - start] = genome.seqs[(chrom, w.start)][
                        lo - w.start : hi - w.start
                    ]
            full = len(codes) // LINE_WIDTH * LINE_WIDTH
            body = np.empty((full // LINE_WIDTH, line), dtype=np.uint8)
            body[:, :LINE_WIDTH] = BASES[codes[:full]].reshape(-1, LINE_WIDTH)
            body[:, LINE_WIDTH] = ord("\n")
            tail = BASES[codes[full:]].tobytes() + (b"\n" if full < len(codes) else b"")
            yield chrom, body.tobytes() + tail


def write_reference(genome: Genome, out: Path) -> None:
    """``out`` (bgzipped FASTA) with its ``.fai`` and ``.gzi``, each renamed into place.

    The indexes are computed while writing (the same bytes ``samtools faidx`` writes).
    """
    fai: list[str] = []
    gzi: list[tuple[int, int]] = []
    caddr = uaddr = 0
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as fh:
            shared = None
            for chrom, chunk in _fasta_chunks(genome):
                if chunk.startswith(b">"):
                    fai.append(
                        f"{chrom}\t{genome.layout.contigs[chrom]}\t{uaddr + len(chunk)}\t{LINE_WIDTH}\t"
                    )
                    fai[-1] += f"{LINE_WIDTH + 1}\n"
                if caddr:
                    gzi.append((caddr, uaddr))
                if len(chunk) == MAX_BLOCK // (LINE_WIDTH + 1) * (LINE_WIDTH + 1) and chunk[:1] == b"N":
                    shared = shared or (chunk, bgzf_block(chunk))
                    blk = shared[1] if chunk is shared[0] or chunk == shared[0] else bgzf_block(chunk)
                else:
                    blk = bgzf_block(chunk)
                fh.write(blk)
                caddr += len(blk)
                uaddr += len(chunk)
            fh.write(EOF_BLOCK)
        with atomic_path(f"{out}.fai") as tmp_fai:
            tmp_fai.write_text("".join(fai))
        with atomic_path(f"{out}.gzi") as tmp_gzi:
            tmp_gzi.write_bytes(struct.pack(f"<{1 + 2 * len(gzi)}Q", len(gzi), *(x for p in gzi for x in p)))
