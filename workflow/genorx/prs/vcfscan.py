"""Read the genotypes a score needs from a VCF in one pass.

The VCF (BGZF, plain gzip or plain text) is read in chunks of decompressed text. For
BGZF, the compressed bytes are read with plain reads (not memory-mapped, so they never
count towards the resident set) and the blocks of a chunk are inflated in parallel
(:mod:`genorx.prs.bgzf`) while the previous chunk is scanned; the kernels of
:mod:`genorx.prs.vcfkernels` keep only records at a scoring position, those of
:mod:`genorx.prs.gtdecode` decode their genotypes. No Python runs per record.
The kernels are C (:mod:`genorx.prs.ckernels`, compiled once per machine) or, without a C
compiler, their numba twins; :class:`_Kernels` hides which.
"""

from __future__ import annotations

import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from genorx.errors import input_error
from genorx.prs import bgzf, ckernels, libdeflate
from genorx.prs.gtcodes import N_ALLELES, packed_width
from genorx.prs.vcfheader import CallStats, Candidates, VcfHeader, read_header, sites_frame

CHUNK_BYTES = 16 << 20  # decompressed text per chunk
COMPRESSED_BYTES = 4 << 20  # compressed bytes read at a time
HEADROOM = 1 << 20  # room before a chunk for the unfinished last line of the previous one


class _Reader:
    """Decompressed text, chunk by chunk, into a caller's buffer."""

    def __init__(self, path: Path, threads: int) -> None:
        self.path = path
        self.threads = threads
        with open(path, "rb") as fh:
            head = fh.read(64)
        self.pool: ThreadPoolExecutor | None = None
        self.stream = None
        self.fh = None
        if bgzf.is_bgzf(head):
            self.fh = open(path, "rb", buffering=0)
            self.cbuf = np.empty(COMPRESSED_BYTES + (1 << 17), np.uint8)
            self.clen = 0  # valid bytes in cbuf
            self.file_eof = False
            self.pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
        else:
            self.stream = gzip.open(path, "rb") if head[:2] == b"\x1f\x8b" else open(path, "rb")

    def max_chunk(self) -> int:
        return CHUNK_BYTES + (1 << 16)

    def _top_up(self) -> None:
        assert self.fh is not None
        while not self.file_eof and self.clen < len(self.cbuf):
            got = self.fh.readinto(memoryview(self.cbuf)[self.clen :])
            if not got:
                self.file_eof = True
            else:
                self.clen += got

    def fill(self, out: np.ndarray, start: int) -> tuple[int, bool]:
        """Append the next chunk to ``out[start:]``; return (end, at_eof)."""
        if self.stream is not None:
            data = self.stream.read(CHUNK_BYTES)
            out[start : start + len(data)] = np.frombuffer(data, np.uint8)
            return start + len(data), len(data) == 0
        self._top_up()
        index, stop = bgzf.walk(self.cbuf[: self.clen])
        if stop != self.clen and (self.file_eof or len(index) == 0):
            raise input_error(
                self.path, None, "corrupt or truncated BGZF block structure", "re-compress with bgzip"
            )
        total = np.cumsum(index.out_size)
        hi = int(np.searchsorted(total, CHUNK_BYTES, side="right"))
        hi = max(hi, min(1, len(index)))
        try:
            end = bgzf.inflate_blocks(self.cbuf, index, 0, hi, out, start, self.pool, self.threads)
        except ValueError as exc:
            raise input_error(self.path, None, f"corrupt BGZF ({exc})", "re-compress with bgzip") from None
        used = _block_start(index, hi) if hi < len(index) else stop
        rest = self.clen - used
        self.cbuf[:rest] = self.cbuf[used : self.clen]
        self.clen = rest
        return end, self.file_eof and self.clen == 0

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
        if self.fh is not None:
            self.fh.close()
        if self.pool is not None:
            self.pool.shutdown()


class _Kernels:
    """The scan's kernels: C through ctypes when a compiler is available, else numba."""

    def __init__(self, threads: int) -> None:
        self.threads = max(1, threads)
        self.lib = ckernels.load()
        self.pool = ThreadPoolExecutor(max_workers=self.threads) if self.threads > 1 else None
        if self.lib is None:
            import numba as nb

            nb.set_num_threads(max(1, min(self.threads, nb.config.NUMBA_NUM_THREADS)))

    def find(self, buf: np.ndarray, begin: int, end: int, keys: np.ndarray, eof: bool) -> tuple:
        if self.lib is not None:
            return ckernels.find_candidates(self.lib, buf, begin, end, keys, eof)
        from genorx.prs.vcfkernels import find_candidates

        return find_candidates(buf, begin, end, keys, eof)

    def decode(
        self,
        buf: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        n_samples: int,
        block: np.ndarray,
        packed: np.ndarray,
        ds_block: np.ndarray,
        want_ds: bool,
        counts: np.ndarray,
        n_exc: np.ndarray,
    ) -> tuple:
        """Decode the candidate lines into ``block`` (a byte per call) and ``packed`` (two bits);
        return their CHROM..ALT text, the status per record and the exception lists."""
        if self.lib is not None:
            text, _, status = ckernels.decode_records(
                self.lib, buf, starts, ends, n_samples, block, ds_block, want_ds, counts, n_exc,
                packed, self.pool, self.threads,
            )  # fmt: skip
            if not status.any():
                return (
                    text,
                    status,
                    ckernels.collect_exceptions(self.lib, block, n_exc, self.pool, self.threads),
                )
            return text, status, None
        from genorx.prs.gtdecode import decode_records, pack_codes

        text, _, status = decode_records(
            buf, starts, ends, n_samples, block, ds_block, want_ds, counts, n_exc, self.threads
        )
        pack_codes(block, packed)
        return text, status, _exceptions(block, n_exc)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _block_start(index: bgzf.BlockIndex, b: int) -> int:
    """Offset of block ``b``'s gzip header: the end of block ``b - 1`` (or 0)."""
    if b == 0:
        return 0
    return int(index.data_offset[b - 1] + index.data_size[b - 1] + 8)


def scan_vcf(
    path: str | Path,
    keys: np.ndarray,
    threads: int = 2,
    header: VcfHeader | None = None,
    dosage: bool = False,
) -> Candidates:
    """Every record of ``path`` whose ``(chrom, pos)`` key is in ``keys``, with decoded
    genotypes (and DS dosages when ``dosage``)."""
    path = Path(path)
    header = header or read_header(path, dosage)
    n_samples = len(header.samples)
    want_ds = bool(dosage and header.has_ds)
    lib = ckernels.load()
    if lib is not None and libdeflate.LIB is not None and os.environ.get("GENORX_PRS_SCAN") != "chunked":
        with open(path, "rb") as fh:
            if bgzf.is_bgzf(fh.read(64)):
                return _scan_whole_c(lib, path, keys, header, want_ds, threads)
    kernels = _Kernels(threads)
    reader = _Reader(path, threads)
    size = HEADROOM + reader.max_chunk() + 8
    # two buffers: the next chunk inflates (ctypes threads, no GIL) while this one is scanned
    bufs = [np.empty(size, np.uint8), np.empty(size, np.uint8)]
    ahead = ThreadPoolExecutor(max_workers=1)
    carry = np.empty(0, np.uint8)
    # one output array, grown when needed (no concatenation of parts at the end)
    cap = max(16, len(keys) + len(keys) // 64)
    packed = np.empty((cap, packed_width(n_samples)), np.uint8)  # two bits per call
    scratch = np.empty((0, n_samples), np.uint8)  # one chunk's codes, a byte per call
    ds = np.empty((cap if want_ds else 1, n_samples if want_ds else 1), np.uint16)
    counts = np.empty((cap, N_ALLELES + 1), np.int32)
    n_exc = np.empty(cap, np.int64)
    exc_parts: list[tuple[np.ndarray, np.ndarray]] = []
    n_cand = 0
    text_parts: list[bytes] = []
    n_records = 0
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
            starts, ends, lines, consumed = kernels.find(buf, begin, end, keys, eof)
            n_records += int(lines)
            if len(starts):
                if n_cand + len(starts) > packed.shape[0]:
                    rows = max(n_cand + len(starts), packed.shape[0] * 3 // 2)
                    packed = _grow(packed, n_cand, rows)
                    counts = _grow(counts, n_cand, rows)
                    n_exc = np.resize(n_exc, rows)
                    if want_ds:
                        ds = _grow(ds, n_cand, rows)
                part = slice(n_cand, n_cand + len(starts))
                if scratch.shape[0] < len(starts):
                    scratch = np.empty((len(starts), n_samples), np.uint8)
                block = scratch[: len(starts)]
                ds_block = ds[part] if want_ds else ds
                text, status, exc = kernels.decode(
                    buf,
                    starts,
                    ends,
                    n_samples,
                    block,
                    packed[part],
                    ds_block,
                    want_ds,
                    counts[part],
                    n_exc[part],
                )
                _check_status(path, status, buf, starts, ends)
                exc_parts.append(exc)
                n_cand += len(starts)
                text_parts.append(text.tobytes())
            carry = buf[consumed:end].copy()
            k += 1
            if eof:
                break
    finally:
        ahead.shutdown(wait=True, cancel_futures=True)
        reader.close()
        kernels.close()
    ptr = np.zeros(n_cand + 1, np.int64)
    np.cumsum(n_exc[:n_cand], out=ptr[1:])
    stats = CallStats(
        counts[:n_cand],
        ptr,
        np.concatenate([p[0] for p in exc_parts]) if exc_parts else np.empty(0, np.int32),
        np.concatenate([p[1] for p in exc_parts]) if exc_parts else np.empty(0, np.uint8),
    )
    return Candidates(
        header.samples,
        sites_frame(b"".join(text_parts)),
        packed[:n_cand],
        n_records,
        stats,
        ds[:n_cand] if want_ds else None,
    )


def _scan_whole_c(
    lib: object, path: Path, keys: np.ndarray, header: VcfHeader, want_ds: bool, threads: int
) -> Candidates:
    """The BGZF scan in C, inflating and decoding block by block (:mod:`genorx.prs.vcfscan_c`)."""
    from genorx.prs.vcfscan_c import scan_bgzf

    got = scan_bgzf(lib, path, keys, len(header.samples), want_ds, threads)  # type: ignore[arg-type]
    bad = np.flatnonzero(got["status"])
    if len(bad):
        line = got["text"].split(b"\n")[int(bad[0])].decode(errors="replace").split("\t")
        _raise_status(path, int(got["status"][bad[0]]), f"{line[0]}:{line[1] if len(line) > 1 else '?'}")
    ptr = np.zeros(len(got["n_exc"]) + 1, np.int64)
    np.cumsum(got["n_exc"], out=ptr[1:])
    stats = CallStats(got["counts"], ptr, got["sample"], got["code"])
    return Candidates(header.samples, sites_frame(got["text"]), got["packed"], got["lines"], stats, got["ds"])


def _exceptions(codes: np.ndarray, n_exc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample and code of the non-plain calls of a block of decoded records (numba)."""
    from genorx.prs.gtdecode import collect_exceptions

    ptr = np.zeros(len(n_exc) + 1, np.int64)
    np.cumsum(n_exc, out=ptr[1:])
    sample = np.empty(int(ptr[-1]), np.int32)
    code = np.empty(int(ptr[-1]), np.uint8)
    collect_exceptions(codes, ptr, sample, code)
    return sample, code


def warm_up() -> None:
    """Load the scan's kernels: the C library (built on the first run), or numba's compiled
    kernels (~1 s of CPU): run in a thread while the scoring files are read, the scan then
    starts at once."""
    if ckernels.load() is not None:
        return
    from genorx.prs.gtdecode import decode_records, pack_codes
    from genorx.prs.vcfkernels import find_candidates

    text = b"1\t5\t.\tA\tC\t.\t.\t.\tGT\t0/1\n"
    buf = np.frombuffer(text + bytes(8), np.uint8).copy()
    keys = np.array([(1 << 32) | 5], np.int64)
    starts, ends, _, _ = find_candidates(buf, 0, len(text), keys, True)
    codes = np.empty((1, 1), np.uint8)
    counts = np.empty((1, N_ALLELES + 1), np.int32)
    n_exc = np.empty(1, np.int64)
    decode_records(buf, starts, ends, 1, codes, np.empty((1, 1), np.uint16), False, counts, n_exc, 1)
    pack_codes(codes, np.empty((1, 1), np.uint8))
    _exceptions(codes, n_exc)
    bgzf.walk(np.zeros(0, np.uint8))


def _grow(a: np.ndarray, n: int, rows: int) -> np.ndarray:
    grown = np.empty((rows, a.shape[1]), a.dtype)
    grown[:n] = a[:n]
    return grown


def _check_status(
    path: Path, status: np.ndarray, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> None:
    bad = np.flatnonzero(status)
    if not len(bad):
        return
    r = int(bad[0])
    fields = bytes(buf[starts[r] : min(ends[r], starts[r] + 200)]).decode(errors="replace").split("\t")
    _raise_status(path, int(status[r]), f"{fields[0]}:{fields[1] if len(fields) > 1 else '?'}")


def _raise_status(path: Path, status: int, where: str) -> None:
    if status == 1:
        raise input_error(path, where, "record has no GT in its FORMAT column", "score a VCF with GT calls")
    if status == 3:
        raise input_error(path, where, "DS value is not a number within 0-2", "fix the DS field")
    raise input_error(path, where, "record has fewer sample columns than the header", "fix the VCF")
