"""Read the genotypes a score needs from a VCF in one pass.

The VCF (BGZF, plain gzip or plain text) is read in chunks of decompressed text. For
BGZF, the blocks of a chunk are inflated in parallel (:mod:`genorx.prs.bgzf`); then the
kernels of :mod:`genorx.prs.vcfkernels` keep only records at a scoring position and
decode their GT. No Python runs per record.
"""

from __future__ import annotations

import gzip
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numba as nb
import numpy as np
import polars as pl

from genorx.errors import input_error
from genorx.prs import bgzf
from genorx.prs.alleles import CHR1_LENGTH, CHROM_CODES, norm_chrom
from genorx.prs.vcfkernels import allele_lut, decode_records, find_candidates

CHUNK_BYTES = 16 << 20  # decompressed text per chunk
HEADROOM = 1 << 20  # room before a chunk for the unfinished last line of the previous one
_CONTIG = re.compile(r"##contig=<.*?ID=([^,>]+).*?length=(\d+)")


@dataclass(frozen=True)
class VcfHeader:
    path: Path
    samples: list[str]
    has_gt: bool
    build: str | None  # from ##contig lengths (chr1), when declared


@dataclass(frozen=True)
class Candidates:
    """Records at scoring positions: their sites and the GT code of every sample."""

    samples: list[str]
    sites: pl.DataFrame  # cand (u32), chrom (str), pos (i64), ref (str), alt (str, "." when none)
    codes: np.ndarray  # uint8 [n_cand, n_samples]
    n_records: int  # data lines scanned


def _open_text(path: Path) -> object:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rt", encoding="utf-8", errors="replace") if magic == b"\x1f\x8b" else open(path)


def read_header(path: str | Path) -> VcfHeader:
    """Sample names, whether GT is declared, and the build implied by contig lengths."""
    path = Path(path)
    if not path.exists():
        raise input_error(path, None, "VCF not found", "check the path")
    has_gt = False
    build = None
    try:
        with _open_text(path) as fh:  # type: ignore[attr-defined]
            for no, line in enumerate(fh, 1):
                if line.startswith("##FORMAT=<ID=GT,"):
                    has_gt = True
                elif line.startswith("##contig="):
                    m = _CONTIG.match(line)
                    if m and norm_chrom(m.group(1)) == "1":
                        build = CHR1_LENGTH.get(int(m.group(2)))
                elif line.startswith("#CHROM"):
                    cols = line.rstrip("\n\r").split("\t")
                    if cols[:8] != ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]:
                        raise input_error(path, f"line {no}", "malformed #CHROM header", "write a valid VCF")
                    samples = cols[9:]
                    if not samples:
                        raise input_error(
                            path,
                            f"line {no}",
                            "VCF has no sample columns (empty sample list)",
                            "score a VCF with genotypes",
                        )
                    if len(set(samples)) != len(samples):
                        dup = next(s for s in samples if samples.count(s) > 1)
                        raise input_error(
                            path, f"line {no}", f"sample {dup!r} appears twice", "rename samples"
                        )
                    if not has_gt:
                        raise input_error(
                            path,
                            None,
                            "VCF declares no GT FORMAT field (no genotypes)",
                            "score a VCF with GT calls",
                        )
                    return VcfHeader(path, samples, has_gt, build)
                elif not line.startswith("#"):
                    break
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise input_error(path, None, f"cannot read VCF ({exc})", "check the file") from None
    raise input_error(path, None, "no #CHROM header line", "write a valid VCF header")


class _Reader:
    """Decompressed text, chunk by chunk, into a caller's buffer."""

    def __init__(self, path: Path, threads: int) -> None:
        self.path = path
        self.threads = threads
        with open(path, "rb") as fh:
            head = fh.read(64)
        self.pool: ThreadPoolExecutor | None = None
        self.stream = None
        if bgzf.is_bgzf(head):
            self.src = (
                np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else np.zeros(0, np.uint8)
            )
            try:
                self.index = bgzf.block_index(np.asarray(self.src))
            except ValueError as exc:
                raise input_error(path, None, f"corrupt BGZF ({exc})", "re-compress with bgzip") from None
            self.block = 0
            self.pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
        else:
            self.stream = gzip.open(path, "rb") if head[:2] == b"\x1f\x8b" else open(path, "rb")

    def max_chunk(self) -> int:
        if self.stream is not None:
            return CHUNK_BYTES
        return CHUNK_BYTES + (1 << 16)

    def fill(self, out: np.ndarray, start: int) -> tuple[int, bool]:
        """Append the next chunk to ``out[start:]``; return (end, at_eof)."""
        if self.stream is not None:
            data = self.stream.read(CHUNK_BYTES)
            out[start : start + len(data)] = np.frombuffer(data, np.uint8)
            return start + len(data), len(data) == 0
        sizes = self.index.out_size
        lo = self.block
        hi = lo
        total = 0
        while hi < len(self.index) and total + sizes[hi] <= CHUNK_BYTES:
            total += int(sizes[hi])
            hi += 1
        if hi == lo and hi < len(self.index):
            hi += 1
        self.block = hi
        try:
            end = bgzf.inflate_blocks(
                np.asarray(self.src), self.index, lo, hi, out, start, self.pool, self.threads
            )
        except ValueError as exc:
            raise input_error(self.path, None, f"corrupt BGZF ({exc})", "re-compress with bgzip") from None
        return end, self.block >= len(self.index)

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
        if self.pool is not None:
            self.pool.shutdown()


def site_keys(chroms: list[str] | np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Sorted unique ``chrom_code << 32 | pos`` keys of scorable positions."""
    codes = (
        pl.Series(list(chroms), dtype=pl.String)
        .replace_strict(CHROM_CODES, default=0, return_dtype=pl.Int64)
        .to_numpy()
        .astype(np.int64)
    )
    pos = np.asarray(positions, dtype=np.int64)
    ok = (codes > 0) & (pos > 0)
    return np.unique((codes[ok] << 32) | pos[ok])


def scan_vcf(
    path: str | Path, keys: np.ndarray, threads: int = 2, header: VcfHeader | None = None
) -> Candidates:
    """Every record of ``path`` whose ``(chrom, pos)`` key is in ``keys``, with decoded GT."""
    path = Path(path)
    header = header or read_header(path)
    n_samples = len(header.samples)
    nb.set_num_threads(max(1, min(threads, nb.config.NUMBA_NUM_THREADS)))
    reader = _Reader(path, threads)
    size = HEADROOM + reader.max_chunk() + 8
    # two buffers: the next chunk inflates (ctypes threads, no GIL) while this one is scanned
    bufs = [np.empty(size, np.uint8), np.empty(size, np.uint8)]
    ahead = ThreadPoolExecutor(max_workers=1)
    carry = np.empty(0, np.uint8)
    # one output array, grown when needed (no concatenation of parts at the end)
    codes = np.empty((max(16, len(keys) + len(keys) // 64), n_samples), np.uint8)
    n_cand = 0
    text_parts: list[bytes] = []
    n_records = 0
    lut = allele_lut()
    try:
        pending = ahead.submit(reader.fill, bufs[0], HEADROOM)
        k = 0
        while True:
            end, eof = pending.result()
            buf = bufs[k % 2]
            if not eof:
                pending = ahead.submit(reader.fill, bufs[(k + 1) % 2], HEADROOM)
            begin = HEADROOM - len(carry)
            if begin < 0:  # a line longer than the headroom: join into a new buffer
                joined = np.empty(len(carry) + end - HEADROOM + 8, np.uint8)
                joined[: len(carry)] = carry
                joined[len(carry) : len(carry) + end - HEADROOM] = buf[HEADROOM:end]
                buf, begin, end = joined, 0, len(carry) + end - HEADROOM
            else:
                buf[begin:HEADROOM] = carry
            words = buf[: len(buf) // 8 * 8].view(np.uint64)
            starts, ends, lines, consumed = find_candidates(buf, words, begin, end, keys, eof, 1)
            n_records += int(lines)
            if len(starts):
                if n_cand + len(starts) > codes.shape[0]:
                    rows = max(n_cand + len(starts), codes.shape[0] * 3 // 2)
                    grown = np.empty((rows, n_samples), np.uint8)
                    grown[:n_cand] = codes[:n_cand]
                    codes = grown
                block = codes[n_cand : n_cand + len(starts)]
                text = np.empty(int((ends - starts).sum()) + len(starts), np.uint8)
                toff, status = decode_records(buf, starts, ends, n_samples, block, text, max(1, threads), lut)
                _check_status(path, status, buf, starts, ends)
                n_cand += len(starts)
                text_parts.append(text[: toff[-1]].tobytes())
            carry = buf[consumed:end].copy()
            k += 1
            if eof:
                break
    finally:
        ahead.shutdown(wait=True, cancel_futures=True)
        reader.close()
    codes = codes[:n_cand]
    return Candidates(header.samples, _sites(b"".join(text_parts)), codes, n_records)


def _check_status(
    path: Path, status: np.ndarray, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> None:
    bad = np.flatnonzero(status)
    if not len(bad):
        return
    r = int(bad[0])
    fields = bytes(buf[starts[r] : min(ends[r], starts[r] + 200)]).decode(errors="replace").split("\t")
    where = f"{fields[0]}:{fields[1] if len(fields) > 1 else '?'}"
    if status[r] == 1:
        raise input_error(path, where, "record has no GT in its FORMAT column", "score a VCF with GT calls")
    raise input_error(path, where, "record has fewer sample columns than the header", "fix the VCF")


def _sites(text: bytes) -> pl.DataFrame:
    if not text:
        return pl.DataFrame(
            schema={
                "cand": pl.UInt32,
                "chrom": pl.String,
                "pos": pl.Int64,
                "ref": pl.String,
                "alt": pl.String,
            }
        )
    df = pl.read_csv(
        text,
        separator="\t",
        has_header=False,
        new_columns=["chrom", "pos", "id", "ref", "alt"],
        schema_overrides={
            "chrom": pl.String,
            "pos": pl.Int64,
            "id": pl.String,
            "ref": pl.String,
            "alt": pl.String,
        },
        quote_char=None,
    )
    df = df.drop("id").with_columns(
        pl.col("chrom").str.replace(r"^(?i)chr", "").str.to_uppercase().replace({"M": "MT", "23": "X"}),
        pl.col("ref").str.to_uppercase(),
        pl.col("alt").str.to_uppercase(),
    )
    return df.with_row_index("cand")
