"""Rows of a genotype matrix, by record number: from memory, or read from a cached ``.npy``
with ``pread`` (so a re-score never maps the whole matrix into its resident set); and
:class:`Genotypes`, the packed codes of candidate records."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from genorx.prs.gtcodes import unpack
from genorx.prs.vcfheader import CallStats


def consecutive(cand: np.ndarray) -> bool:
    """``cand`` (ascending) is a run of consecutive record numbers."""
    return bool(len(cand)) and cand[-1] - cand[0] + 1 == len(cand) and bool((np.diff(cand) > 0).all())


class RowSource:
    """``rows(cand)`` returns ``matrix[cand]`` (``cand`` ascending) as a fresh or borrowed array."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = matrix
        self.shape = matrix.shape
        self.dtype = matrix.dtype

    def rows(self, cand: np.ndarray) -> np.ndarray:
        if consecutive(cand):
            return self.matrix[int(cand[0]) : int(cand[-1]) + 1]
        return self.matrix[cand]

    def close(self) -> None:
        return None


class NpyRows(RowSource):
    """Rows of a C-ordered 2-D ``.npy`` file, read on demand."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read(fh)
            self.offset = fh.tell()
        if fortran or len(shape) != 2:
            raise ValueError(f"{path}: not a C-ordered matrix")
        self.path = path
        self.shape = shape
        self.dtype = np.dtype(dtype)
        self.row_bytes = int(shape[1]) * self.dtype.itemsize
        self.fd = os.open(path, os.O_RDONLY)

    def _read(self, first: int, n: int) -> np.ndarray:
        out = np.empty((n, self.shape[1]), self.dtype)
        view = memoryview(out.reshape(-1).view(np.uint8))
        got = 0
        while got < len(view):
            k = os.preadv(self.fd, [view[got:]], self.offset + first * self.row_bytes + got)
            if k <= 0:
                raise OSError(f"{self.path}: short read")
            got += k
        return out

    def rows(self, cand: np.ndarray) -> np.ndarray:
        if not len(cand):
            return np.empty((0, self.shape[1]), self.dtype)
        first, last = int(cand[0]), int(cand[-1])
        if last - first + 1 <= 2 * len(cand):  # dense enough: one read of the span
            block = self._read(first, last - first + 1)
            return block if consecutive(cand) else block[cand - first]
        cuts = np.flatnonzero(np.diff(cand) != 1) + 1  # runs of consecutive records
        runs = np.split(cand, cuts)
        parts = [self._read(int(r[0]), len(r)) for r in runs]
        out = np.concatenate(parts)
        return out

    def close(self) -> None:
        os.close(self.fd)


def source(matrix: np.ndarray | RowSource | None) -> RowSource | None:
    if matrix is None or isinstance(matrix, RowSource):
        return matrix
    return RowSource(np.asarray(matrix))


def _ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for each start and length."""
    total = int(lens.sum())
    if not total:
        return np.empty(0, np.int64)
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    return np.arange(total) + shift


class Genotypes:
    """The genotype codes of candidate records, stored as two bits per call plus the
    per-record list of the calls that are not plain REF/ALT diploid calls (their exact
    codes): a quarter of a byte-per-call matrix, in memory and in the cache."""

    def __init__(self, packed: RowSource, stats: CallStats, n_samples: int) -> None:
        self.packed = packed
        self.stats = stats
        self.shape = (packed.shape[0], n_samples)

    def plain(self, cand: np.ndarray) -> np.ndarray:
        """[len(cand), n_samples]: plain codes 0..2, 3 where the call is an exception."""
        return unpack(self.packed.rows(cand), self.shape[1])

    def plain_into(self, cand: np.ndarray, out: np.ndarray) -> None:
        """``plain(cand)`` as float64 into ``out`` (C when the scan kernels are built: no
        byte matrix in between; numpy otherwise)."""
        from genorx.prs import ckernels

        lib = ckernels.load()
        if lib is None:
            np.copyto(out, self.plain(cand), casting="unsafe")
        else:
            ckernels.unpack_f64(lib, self.packed.rows(cand), self.shape[1], out)

    def exceptions(self, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(flat index in a [len(cand), n_samples] block, row in the block, sample, code)."""
        stats = self.stats
        starts = stats.ptr[cand]
        lens = stats.ptr[cand + 1] - starts
        if consecutive(cand):
            idx: np.ndarray | slice = slice(int(starts[0]), int(starts[-1] + lens[-1]))
        else:
            idx = _ranges(starts, lens)
        ej = stats.sample[idx].astype(np.int64)
        ei = np.repeat(np.arange(len(cand)), lens)
        return ei * self.shape[1] + ej, ei, ej, stats.code[idx]

    def codes(self, cand: np.ndarray) -> np.ndarray:
        """[len(cand), n_samples] exact codes."""
        out = np.ascontiguousarray(self.plain(cand))
        flat, _, _, code = self.exceptions(cand)
        out.reshape(-1)[flat] = code
        return out
