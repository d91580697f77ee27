"""The access file: which token (by SHA-256 hash only) may read which samples.

Format (YAML, or JSON when the file name ends in ``.json``)::

    version: 1
    groups:                      # optional named sets of sample ids
      trial-a: [P1, P2]
    tokens:
      - token_sha256: 9f86d0...  # hex SHA-256 of the bearer token; the token itself is never stored
        principal: dr-smith
        samples: [P3]
        groups: [trial-a]
        created: "2024-05-01T12:00:00Z"
        note: ""

Writers (``genorx access``) take an exclusive lock on a sidecar ``.<name>.lock`` and replace
the file atomically; the server re-reads it whenever its inode, mtime or size changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from genorx.atomic import atomic_path
from genorx.errors import GenorxError, input_error
from genorx.serve.ids import TOKEN_HASH_RE, valid_group, valid_principal, valid_sample_id

ACCESS_VERSION = 1
_FIX = "edit it with 'genorx access add/revoke/group' or restore a valid copy"


def new_token() -> str:
    """A fresh bearer token (256 bits from the OS CSPRNG, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token: the only form in which tokens are stored or compared."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenEntry:
    """One issued token, by hash, and what its holder may read."""

    token_sha256: str
    principal: str
    samples: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    created: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Grant:
    """A resolved token entry: the principal and every sample id it may read."""

    principal: str
    token_sha256: str
    samples: frozenset[str]

    def allows(self, sample_id: str) -> bool:
        return sample_id in self.samples


@dataclass(frozen=True)
class AccessTable:
    """The parsed access file."""

    tokens: tuple[TokenEntry, ...] = ()
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def resolve(self, entry: TokenEntry) -> Grant:
        samples = set(entry.samples)
        for group in entry.groups:
            samples.update(self.groups.get(group, ()))
        return Grant(entry.principal, entry.token_sha256, frozenset(samples))

    def grants(self) -> tuple[Grant, ...]:
        return tuple(self.resolve(e) for e in self.tokens)


def _id_list(value: Any, check: Callable[[str], bool], path: Path, where: str, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise input_error(path, where, f"{what} must be a list of strings", _FIX)
    bad = [v for v in value if not check(v)]
    if bad:
        raise input_error(path, where, f"malformed {what[:-1]} {bad[0]!r}", _FIX)
    return tuple(value)


def _parse_entry(raw: Any, path: Path, where: str) -> TokenEntry:
    if not isinstance(raw, dict):
        raise input_error(path, where, "token entry must be a mapping", _FIX)
    unknown = set(raw) - {"token_sha256", "principal", "samples", "groups", "created", "note"}
    if unknown:
        raise input_error(path, where, f"unknown key {sorted(unknown)[0]!r}", _FIX)
    digest = raw.get("token_sha256")
    if not isinstance(digest, str) or TOKEN_HASH_RE.fullmatch(digest) is None:
        raise input_error(path, where, "token_sha256 must be 64 lowercase hex digits", _FIX)
    principal = raw.get("principal")
    if not isinstance(principal, str) or not valid_principal(principal):
        raise input_error(path, where, f"malformed principal {principal!r}", _FIX)
    samples = _id_list(raw.get("samples"), valid_sample_id, path, where, "samples")
    groups = _id_list(raw.get("groups"), valid_group, path, where, "groups")
    return TokenEntry(
        digest, principal, samples, groups, str(raw.get("created") or ""), str(raw.get("note") or "")
    )


def parse_access(data: Any, path: Path) -> AccessTable:
    """Validate the loaded document; every problem is a one-line :class:`GenorxError`."""
    if data is None:
        return AccessTable()
    if not isinstance(data, dict):
        raise input_error(path, None, "access file must be a mapping with 'tokens' (and 'groups')", _FIX)
    unknown = set(data) - {"version", "tokens", "groups"}
    if unknown:
        raise input_error(path, None, f"unknown top-level key {sorted(unknown)[0]!r}", _FIX)
    if data.get("version", ACCESS_VERSION) != ACCESS_VERSION:
        raise input_error(path, "version", f"unsupported version {data.get('version')!r}", _FIX)
    raw_groups = data.get("groups") or {}
    if not isinstance(raw_groups, dict):
        raise input_error(path, "groups", "groups must map a group name to a list of sample ids", _FIX)
    groups: dict[str, tuple[str, ...]] = {}
    for name, members in raw_groups.items():
        if not isinstance(name, str) or not valid_group(name):
            raise input_error(path, "groups", f"malformed group name {name!r}", _FIX)
        groups[name] = _id_list(members, valid_sample_id, path, f"groups.{name}", "samples")
    raw_tokens = data.get("tokens") or []
    if not isinstance(raw_tokens, list):
        raise input_error(path, "tokens", "tokens must be a list", _FIX)
    tokens = tuple(_parse_entry(raw, path, f"tokens[{i}]") for i, raw in enumerate(raw_tokens))
    seen: set[str] = set()
    for i, entry in enumerate(tokens):
        if entry.token_sha256 in seen:
            raise input_error(path, f"tokens[{i}]", "duplicate token_sha256", _FIX)
        seen.add(entry.token_sha256)
    return AccessTable(tokens, groups)


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def load_access(path: Path) -> AccessTable:
    """Read and validate an access file (JSON or YAML)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise input_error(path, None, "access file not found", "create it with 'genorx access add'") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise input_error(path, None, f"cannot read access file ({exc})", _FIX) from None
    try:
        data = json.loads(text) if _is_json(path) else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = getattr(exc, "lineno", None) or (mark.line + 1 if mark is not None else None)
        raise input_error(path, str(line) if line else None, "not valid JSON/YAML", _FIX) from None
    return parse_access(data, path)


def to_document(table: AccessTable) -> dict[str, Any]:
    tokens = []
    for e in table.tokens:
        tokens.append(
            {
                "token_sha256": e.token_sha256,
                "principal": e.principal,
                "samples": list(e.samples),
                "groups": list(e.groups),
                "created": e.created,
                "note": e.note,
            }
        )
    return {
        "version": ACCESS_VERSION,
        "groups": {k: list(v) for k, v in table.groups.items()},
        "tokens": tokens,
    }


def dump_access(table: AccessTable, path: Path) -> str:
    doc = to_document(table)
    if _is_json(path):
        return json.dumps(doc, indent=2) + "\n"
    header = "# genorx access file: SHA-256 hashes of bearer tokens only. Edit with 'genorx access'.\n"
    return header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None)


def save_access(path: Path, table: AccessTable) -> None:
    """Replace the access file atomically, keeping its mode (0600 for a new file)."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    with atomic_path(path) as tmp:
        tmp.write_text(dump_access(table, path), encoding="utf-8")
    os.chmod(path, mode)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Exclusive lock for a read-modify-write of the access file (sidecar lock file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f".{path.name}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def update_access(path: Path, change: Callable[[AccessTable], AccessTable]) -> AccessTable:
    """Apply ``change`` to the current table under the lock and write the result."""
    with locked(path):
        current = load_access(path) if path.exists() else AccessTable()
        new = change(current)
        save_access(path, new)
        return new


class AccessUnavailable(Exception):
    """The access file is missing or invalid: the server denies every request (fails closed)."""


class AccessStore:
    """The access table as the server sees it: re-read whenever the file changes.

    Checked on every request with one ``stat`` (inode, mtime, size): an atomic replace always
    changes the inode, so ``genorx access add/revoke`` take effect on the next request.
    A file that fails to parse makes every authenticated request fail (503) until fixed.
    """

    def __init__(self, path: Path, on_error: Callable[[str], None] | None = None) -> None:
        self.path = path
        self._on_error = on_error
        self._key: tuple[Any, ...] | None = None
        self._grants: tuple[tuple[bytes, Grant], ...] = ()
        self._error: str | None = None
        self.refresh()

    def refresh(self) -> None:
        try:
            st = os.stat(self.path)
        except OSError as exc:
            self._fail(("missing", 0, 0), f"{self.path}: cannot stat access file ({exc.strerror})")
            return
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key == self._key:
            return
        try:
            table = load_access(self.path)
        except GenorxError as exc:
            self._fail(key, str(exc))
            return
        self._grants = tuple((bytes.fromhex(g.token_sha256), g) for g in table.grants())
        self._key, self._error = key, None

    def _fail(self, key: Any, message: str) -> None:
        if self._key != key and self._on_error is not None:
            self._on_error(message)
        self._key, self._error, self._grants = key, message, ()

    @property
    def error(self) -> str | None:
        return self._error

    def lookup(self, token: str) -> Grant | None:
        """The grant for ``token``, comparing SHA-256 digests in constant time against every entry."""
        self.refresh()
        if self._error is not None:
            raise AccessUnavailable(self._error)
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        found: Grant | None = None
        for stored, grant in self._grants:
            if hmac.compare_digest(stored, digest):
                found = grant
        return found
