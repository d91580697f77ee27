"""Typed access to fields of a JSON document, with errors that name the file and the record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from genorx.errors import GenorxError, input_error

_MISSING = object()


class Fields:
    """Reads one JSON input; every problem becomes a one-line :class:`GenorxError`.

    ``where`` strings are JSON paths such as ``samples[0].genes[2]`` so a user can find the
    record; ``fix`` tells them which command regenerates the file.
    """

    def __init__(self, path: str | Path, fix: str) -> None:
        self.path = Path(path)
        self.fix = fix

    def load(self) -> Any:
        if not self.path.is_file():
            raise input_error(self.path, None, "file not found", self.fix)
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise input_error(self.path, f"{exc.lineno}", f"not valid JSON ({exc.msg})", self.fix) from exc
        except UnicodeDecodeError as exc:
            raise input_error(self.path, None, "not UTF-8 text", self.fix) from exc

    def error(self, where: str, problem: str) -> GenorxError:
        return input_error(self.path, where, problem, self.fix)

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(where, f"expected an object, found {type(value).__name__}")
        return value

    def get(self, record: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
        """A required key of the given JSON type (``None`` allowed only when ``kind`` includes it)."""
        value = record.get(key, _MISSING)
        if value is _MISSING:
            raise self.error(where, f"missing key {key!r}")
        return self._check(value, key, where, kind)

    def opt(
        self, record: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...], default: Any = None
    ) -> Any:
        """An optional key; ``None`` and absence give ``default``."""
        value = record.get(key)
        if value is None:
            return default
        return self._check(value, key, where, kind)

    def _check(self, value: Any, key: str, where: str, kind: type | tuple[type, ...]) -> Any:
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if value is None and type(None) in kinds:
            return None
        # JSON numbers: an int is acceptable where a float is expected; bool is never a number.
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, bool) and bool not in kinds:
            raise self.error(where, f"key {key!r} must be {_names(kinds)}, found a boolean")
        if not isinstance(value, kinds):
            raise self.error(where, f"key {key!r} must be {_names(kinds)}, found {type(value).__name__}")
        return value

    def strings(self, record: dict[str, Any], key: str, where: str, required: bool = True) -> tuple[str, ...]:
        value = self.get(record, key, where, list) if required else self.opt(record, key, where, list, [])
        for i, item in enumerate(value):
            if item is not None and not isinstance(item, str):
                raise self.error(f"{where}.{key}[{i}]", f"expected a string, found {type(item).__name__}")
        return tuple(item or "" for item in value)

    def string_map(self, record: dict[str, Any], key: str, where: str) -> dict[str, str]:
        value = self.opt(record, key, where, dict, {})
        out: dict[str, str] = {}
        for k, v in value.items():
            if v is None:
                continue
            if isinstance(v, dict):  # DPWG diplotype keys: {"*1": 1, "*3": 1}
                out[str(k)] = "/".join(f"{a}x{n:g}" if n != 1 else str(a) for a, n in v.items())
                continue
            if not isinstance(v, str | int | float) or isinstance(v, bool):
                raise self.error(f"{where}.{key}.{k}", f"expected a string, found {type(v).__name__}")
            out[str(k)] = str(v)
        return out


def _names(kinds: tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)
