"""``genorx kb fetch``: download a KB mirror described by ``BASE/index.json``.

``index.json`` lists ``files`` (``path``, ``sha256``, ``size``). Each file is written to
``<name>.part``, checked (size, then sha256) and renamed; files land in a persistent
``.<out>.partial`` folder next to ``out``, so an interrupted fetch resumes where it
stopped (verified files are kept, a ``.part`` file is continued with an HTTP Range
request when the server supports it). Only when every file is verified is the folder
swapped into place: a checksum mismatch, an HTTP error or a truncated file is one clear
error and the previous KB stays untouched. ``BASE`` may be http(s)://, file:// or a
local directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urlparse

import requests

from genorx import __version__
from genorx.atomic import write_text
from genorx.errors import GenorxError
from genorx.kb.load import load_kb, load_pharmcat_kb
from genorx.kb.pharmcat import is_pharmcat_dir
from genorx.kb.staging import sha256_file, swap_in

TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}
CHUNK = 1 << 16


class _Transient(Exception):
    """A failure worth retrying (connection reset, timeout, 5xx, truncated body)."""


def _is_remote(base: str) -> bool:
    return urlparse(base).scheme in {"http", "https"}


def _local_root(base: str) -> Path:
    parsed = urlparse(base)
    return Path(parsed.path) if parsed.scheme == "file" else Path(base)


def _url(base: str, rel: str) -> str:
    return base.rstrip("/") + "/" + quote(rel)


def _check_index(raw: Any, where: str) -> list[dict[str, Any]]:
    fix = "point --url at a KB mirror whose index.json lists files with path, sha256 and size"
    if not isinstance(raw, dict) or not isinstance(raw.get("files"), list) or not raw["files"]:
        raise GenorxError(f"{where}: index has no 'files' list; fix: {fix}")
    files = []
    for i, f in enumerate(raw["files"]):
        try:
            rel, digest, size = str(f["path"]), str(f["sha256"]).lower(), int(f["size"])
        except (KeyError, TypeError, ValueError):
            raise GenorxError(f"{where}:files[{i}]: needs path, sha256 and size; fix: {fix}") from None
        parts = PurePosixPath(rel).parts
        if not parts or rel.startswith("/") or ".." in parts or rel in {"index.json", "provenance.json"}:
            raise GenorxError(f"{where}:files[{i}]: unsafe or reserved path {rel!r}; fix: {fix}")
        files.append({"path": rel, "sha256": digest, "size": size})
    return files


def _retrying(what: str, retries: int, backoff: float, func: Any) -> Any:
    for attempt in range(retries + 1):
        try:
            return func()
        except _Transient as exc:
            if attempt == retries:
                raise GenorxError(
                    f"{what}: {exc} (after {retries + 1} attempts); fix: check the network and the mirror, "
                    "then run 'genorx kb fetch' again (verified files are kept and not downloaded twice)"
                ) from None
            time.sleep(backoff * (2**attempt))
    raise AssertionError("unreachable")


def _get_index(session: requests.Session, base: str, timeout: float, retries: int, backoff: float) -> bytes:
    if not _is_remote(base):
        path = _local_root(base) / "index.json"
        if not path.is_file():
            raise GenorxError(f"{path}: index not found; fix: pass --url pointing at a KB mirror folder")
        return path.read_bytes()
    url = _url(base, "index.json")

    def get() -> bytes:
        try:
            resp = session.get(url, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Transient(type(exc).__name__) from None
        if resp.status_code in TRANSIENT_STATUS:
            raise _Transient(f"HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise GenorxError(f"{url}: HTTP {resp.status_code}; fix: check the --url of the KB mirror")
        return resp.content

    return _retrying(url, retries, backoff, get)


def _download(session: requests.Session, url: str, part: Path, size: int, timeout: float) -> None:
    """Write ``url`` to ``part`` (continuing a partial file when the server allows)."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if 0 < have < size else {}
    if have >= size:
        part.unlink()
        have = 0
    try:
        with session.get(url, timeout=timeout, stream=True, headers=headers) as resp:
            if resp.status_code in TRANSIENT_STATUS:
                raise _Transient(f"HTTP {resp.status_code}")
            if resp.status_code not in (200, 206):
                raise GenorxError(
                    f"{url}: HTTP {resp.status_code}; fix: the mirror is incomplete, repair it "
                    "(genorx kb mirror) or use another --url; the previous KB was left in place"
                )
            mode = "ab" if resp.status_code == 206 and headers else "wb"
            with open(part, mode) as fh:
                for block in resp.iter_content(CHUNK):
                    fh.write(block)
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
        raise _Transient(f"download interrupted ({type(exc).__name__})") from None
    got = part.stat().st_size
    if got < size:
        raise _Transient(f"truncated file ({got} of {size} bytes)")


def _verify(part: Path, entry: dict[str, Any], source: str) -> None:
    got = part.stat().st_size
    if got != entry["size"]:
        part.unlink()
        kind = "truncated file" if got < entry["size"] else "file larger than the index says"
        raise GenorxError(
            f"{source}: {kind} ({got} of {entry['size']} bytes); fix: repair the mirror or use another "
            "--url; the previous KB was left in place"
        )
    digest = sha256_file(part)
    if digest != entry["sha256"]:
        part.unlink()
        raise GenorxError(
            f"{source}: checksum mismatch (sha256 {digest[:12]}..., index says {entry['sha256'][:12]}...); "
            "fix: the mirror's file or index is corrupt, repair it or use another --url; "
            "the previous KB was left in place"
        )


def _reuse(candidates: list[Path], entry: dict[str, Any], dest: Path) -> bool:
    """Take an already verified copy (from an interrupted fetch or the current KB)."""
    if dest.is_file() and dest.stat().st_size == entry["size"] and sha256_file(dest) == entry["sha256"]:
        return True
    for cand in candidates:
        if cand.is_file() and cand.stat().st_size == entry["size"] and sha256_file(cand) == entry["sha256"]:
            shutil.copy2(cand, dest)
            return True
    return False


def fetch_kb(
    base: str, out: str | Path, timeout: float = 30.0, retries: int = 3, backoff: float = 0.5
) -> dict[str, Any]:
    """Download the mirror at ``base`` into ``out``; returns the provenance written."""
    out = Path(out)
    session = requests.Session()
    session.headers["User-Agent"] = f"genorx/{__version__} (kb fetch)"
    index_bytes = _get_index(session, base, timeout, retries, backoff)
    where = _url(base, "index.json") if _is_remote(base) else str(_local_root(base) / "index.json")
    try:
        index = json.loads(index_bytes)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GenorxError(f"{where}: corrupt JSON ({exc}); fix: check the --url of the KB mirror") from None
    files = _check_index(index, where)
    stage = out.parent / f".{out.name}.partial"
    stage.mkdir(parents=True, exist_ok=True)
    for entry in files:
        dest = stage / entry["path"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        if _reuse([out / entry["path"]], entry, dest):
            continue
        part = dest.with_name(dest.name + ".part")
        if _is_remote(base):
            url = _url(base, entry["path"])
            _retrying(
                url,
                retries,
                backoff,
                lambda u=url, p=part, e=entry: _download(session, u, p, e["size"], timeout),
            )
            source = url
        else:
            src = _local_root(base) / entry["path"]
            if not src.is_file():
                raise GenorxError(
                    f"{src}: listed in the index but missing; fix: repair the mirror (genorx kb mirror); "
                    "the previous KB was left in place"
                )
            shutil.copyfile(src, part)
            source = str(src)
        _verify(part, entry, source)
        os.replace(part, dest)
    (stage / "index.json").write_bytes(index_bytes)
    provenance = {
        "url": base,
        "fetched_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "genorx_version": __version__,
        "index": {
            "name": index.get("name"),
            "description": index.get("description"),
            "sha256": _sha256_bytes(index_bytes),
        },
        "files": {e["path"]: e["sha256"] for e in files},
    }
    write_text(stage / "provenance.json", json.dumps(provenance, indent=1) + "\n")
    _drop_unlisted(stage, {e["path"] for e in files} | {"index.json", "provenance.json"})
    try:
        # a mirror of something that is not a usable KB must not replace a working one
        if is_pharmcat_dir(stage):
            load_pharmcat_kb(stage, with_prose=False, verify_index=False)  # files verified just above
        else:
            load_kb(stage)
    except GenorxError as exc:
        raise GenorxError(f"{base}: the downloaded files are not a usable knowledge base ({exc})") from None
    swap_in(stage, out)
    return provenance


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _drop_unlisted(stage: Path, keep: set[str]) -> None:
    for path in sorted(stage.rglob("*"), reverse=True):
        rel = path.relative_to(stage).as_posix()
        if path.is_file() and rel not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
