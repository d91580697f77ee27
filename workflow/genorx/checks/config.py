"""Config keys against the JSON schema, with messages that name the key and the fix.

``snakemake.utils.validate`` does the full validation (and fills defaults); this runs
first so a typo in a key gives one clear line instead of a schema dump.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from genorx.errors import GenorxError

SCHEMA_NAME = "config/schemas/config.schema.yaml"


def load_schema(path: Path) -> dict[str, Any]:
    with open(path) as fh:
        return yaml.safe_load(fh)


def unknown_keys(
    config: dict[str, Any], schema: dict[str, Any], prefix: str = ""
) -> list[tuple[str, list[str]]]:
    """(dotted key, allowed keys) for every key the schema does not define."""
    out: list[tuple[str, list[str]]] = []
    props: dict[str, Any] = schema.get("properties", {})
    if schema.get("additionalProperties", True) is False:
        for key in config:
            if key not in props:
                out.append((f"{prefix}{key}", sorted(props)))
    for key, sub in props.items():
        value = config.get(key)
        if isinstance(value, dict) and sub.get("type") == "object":
            out += unknown_keys(value, sub, prefix=f"{prefix}{key}.")
    return out


def check_config_keys(config: dict[str, Any], schema_path: Path, source: str = "config") -> None:
    """Raise a one-line GenorxError for the first unknown or misplaced key."""
    schema = load_schema(schema_path)
    problems = unknown_keys(config, schema)
    if not problems:
        return
    key, allowed = problems[0]
    leaf = key.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(leaf, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise GenorxError(
        f"{source}: unknown config key {key!r}; fix: {hint}remove it or use one of: {', '.join(allowed)}"
    )


def schema_error_line(exc: BaseException, source: str = "config") -> str:
    """One line from a jsonschema/snakemake validation error."""
    cause: BaseException | None = exc
    while cause is not None and not hasattr(cause, "absolute_path"):
        cause = cause.__cause__ or cause.__context__
    if cause is not None:
        path = ".".join(str(p) for p in getattr(cause, "absolute_path", [])) or "(top level)"
        message = str(getattr(cause, "message", cause)).splitlines()[0]
        return f"{source}: config key {path}: {message}; fix: correct the value (see {SCHEMA_NAME})"
    first = next((ln for ln in str(exc).splitlines() if ln.strip()), str(exc))
    return f"{source}: {first}; fix: correct the configuration (see {SCHEMA_NAME})"
