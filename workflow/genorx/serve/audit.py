"""Append-only audit log: one JSON line per request, on disk before the response is sent.

Fields: ``time`` (UTC), ``request_id``, ``principal``, ``sample_id``, ``format``, ``outcome``,
``status``, ``client``, ``route``, ``bytes``. Never a token, a raw URL or report contents: the
server fills in only validated values.

Writes are group-committed: requests hand their line to one writer thread, which appends a
batch with a single ``write`` under a process lock and an ``flock`` (so two servers sharing a
file cannot interleave), ``fsync``s it, and only then releases the waiting requests. A failed
write fails those requests (the server answers 503 rather than serve an unrecorded access).
A rotated log (renamed or removed) is noticed on the next write and a new file is started.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import queue
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_BATCH = 512


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode(event: dict[str, Any]) -> bytes:
    """One audit line (ASCII JSON, so no control character or newline can split a record)."""
    return (json.dumps(event, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


class AuditLog:
    """Group-committing, fsync'ing appender for the audit file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = self._open()
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[bytes, asyncio.Future[None]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="genorx-audit", daemon=True)
            self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    async def record(self, event: dict[str, Any]) -> None:
        """Append ``event``; returns once it is fsync'd, raises OSError if it could not be."""
        self.start()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put((encode(event), future))
        await future

    def append(self, lines: list[bytes]) -> None:
        """Write and fsync ``lines`` as one locked append (used by the writer thread)."""
        data = b"".join(lines)
        with self._lock:
            self._reopen_if_rotated()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
                os.fsync(self._fd)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _open(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def _reopen_if_rotated(self) -> None:
        """Follow a log rotation (the file moved away or removed): append to a new file at ``path``."""
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            current = None
        mine = os.fstat(self._fd)
        if current is None or (current.st_dev, current.st_ino) != (mine.st_dev, mine.st_ino):
            fd = self._open()
            os.close(self._fd)
            self._fd = fd

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            batch: list[tuple[bytes, asyncio.Future[None]]] = []
            while item is not None:
                batch.append(item)
                if len(batch) >= _BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            stop = item is None
            if not batch:
                continue
            error: OSError | None = None
            try:
                self.append([line for line, _ in batch])
            except OSError as exc:
                error = exc
            for _, future in batch:
                future.get_loop().call_soon_threadsafe(_settle, future, error)


def _settle(future: asyncio.Future[None], error: OSError | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
