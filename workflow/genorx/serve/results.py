"""Find and open per-sample report files without building a path from user input.

Sample ids are looked up in a listing of the results directory (``scandir``, cached while
the directory's inode and mtime are unchanged and not "racy", i.e. modified within the last
couple of seconds); only a name found there is joined with one of the fixed file names of
:data:`genorx.serve.forms.FORMS`. Files are opened by their final name with ``O_NOFOLLOW``:
the workflow writes them under a temporary name and renames them, so an open file is whole,
and a symlink planted in the results tree is never followed.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from genorx.serve.forms import FORMS, Form
from genorx.serve.ids import valid_sample_id

_RACY_SECONDS = 2.0
_NOT_THERE = {errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.EACCES}


class ReportTooLarge(Exception):
    """A report file exceeds the configured size cap."""


@dataclass(slots=True)
class OpenReport:
    """An open, regular report file (the caller closes it)."""

    fd: int
    size: int

    def read_all(self) -> bytes:
        chunks, remaining = [], self.size
        while remaining > 0:
            chunk = os.read(self.fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def iter_chunks(self, chunk_size: int = 1 << 16) -> Iterator[bytes]:
        """Yield the file in chunks, stopping at the size seen at open; closes the file."""
        try:
            remaining = self.size
            while remaining > 0:
                chunk = os.read(self.fd, min(remaining, chunk_size))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class ResultsIndex:
    """The sample directories under a results directory, and safe access to their reports."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = os.fspath(root.resolve())
        self.max_bytes = max_bytes
        self._key: tuple[int, int] | None = None
        self._entries: dict[str, str] = {}

    def entries(self) -> dict[str, str]:
        """Validated sample id -> directory entry name (the same string, taken from the listing)."""
        try:
            st = os.stat(self.root)
        except OSError:
            self._key, self._entries = None, {}
            return self._entries
        key = (st.st_ino, st.st_mtime_ns)
        racy = time.time() - st.st_mtime < _RACY_SECONDS
        if key != self._key or racy:
            found: dict[str, str] = {}
            with os.scandir(self.root) as listing:
                for entry in listing:
                    if valid_sample_id(entry.name) and entry.is_dir(follow_symlinks=False):
                        found[entry.name] = entry.name
            self._key, self._entries = key, found
        return self._entries

    def has_form(self, sample_id: str, form: Form) -> bool:
        name = self.entries().get(sample_id)
        if name is None:
            return False
        try:
            st = os.stat(os.path.join(self.root, name, form.filename), follow_symlinks=False)
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode)

    def forms_of(self, sample_id: str) -> list[str]:
        return [f.name for f in FORMS.values() if self.has_form(sample_id, f)]

    def open_form(self, sample_id: str, form: Form) -> OpenReport | None:
        """The open report file, or None when the sample or that form does not exist."""
        name = self.entries().get(sample_id)
        if name is None:
            return None
        path = os.path.join(self.root, name, form.filename)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno in _NOT_THERE:
                return None
            raise
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            return None
        if st.st_size > self.max_bytes:
            os.close(fd)
            raise ReportTooLarge(f"{form.filename} of a sample is {st.st_size} bytes (cap {self.max_bytes})")
        return OpenReport(fd, st.st_size)
