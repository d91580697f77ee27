"""Write outputs under a temporary name in the same directory, then rename.

A reader (a later rule, the report server) never sees a half-written file, and a failed
or interrupted command leaves no partial output behind.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    The temporary name keeps ``path``'s suffix (or ``suffix``) so tools that sniff the
    extension (bgzip, bcftools, samtools) behave the same on it.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    sfx = suffix if suffix is not None else "".join(final.suffixes[-2:])
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=f".tmp{sfx}", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8"
) -> Iterator[IO]:
    """Open ``path`` for writing through a temporary file; gzip when it ends in ``.gz``."""
    binary = "b" in mode
    with atomic_path(path) as tmp:
        if str(path).endswith(".gz"):
            raw = gzip.open(tmp, "wb", compresslevel=6)
            fh: IO = raw if binary else io.TextIOWrapper(raw, encoding=encoding or "utf-8")
        else:
            fh = open(tmp, mode, encoding=None if binary else encoding)
        try:
            yield fh
        finally:
            fh.close()


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Atomically write ``text`` to ``path``."""
    with atomic_open(path, "w") as fh:
        fh.write(text)
