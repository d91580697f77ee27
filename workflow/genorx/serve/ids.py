"""The strict identifier patterns shared by the server and the access file."""

from __future__ import annotations

import re

# Same pattern as config/schemas/samples.schema.yaml (sample_id).
SAMPLE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Principals may be e-mail addresses; groups follow the sample-id pattern.
PRINCIPAL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")
TOKEN_HASH_RE = re.compile(r"[0-9a-f]{64}")


def valid_sample_id(value: str) -> bool:
    """True for a well-formed sample id (never ``.``/``..``, no separators, no NUL)."""
    return SAMPLE_ID_RE.fullmatch(value) is not None and value not in {".", ".."}


def valid_group(value: str) -> bool:
    return valid_sample_id(value)


def valid_principal(value: str) -> bool:
    return PRINCIPAL_RE.fullmatch(value) is not None
