"""Ordering of haplotype and diplotype names, as PharmCAT orders them.

PharmCAT sorts haplotype names "naturally": the text before the (first ``*``-) number,
then the number as an integer, then the rest (``*2 < *10 < *10B``); ``Reference`` (and
``Any``/``All``) first, ``Other``/``Unknown`` last. Combination names (``[*6 + *28]``) sort
after plain names; HGVS-style names (``c.1905+1G>A``, ``g.94781859G>A``) by position.
Within a diplotype the smaller haplotype comes first; tied diplotypes are listed by
score (high first), then by their first and second haplotype.

The comparison is reimplemented from PharmCAT's documented behaviour (its comparator is
not transitive across mixed nomenclature, so we use ``cmp_to_key`` like it uses a
comparator, never a derived sort key).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cmp_to_key

_STRICT_STAR = re.compile(r"(.*)\*(\d+)(.*)", re.S)
_LOOSE_STAR = re.compile(r"(\D*)(\d+)(.*)", re.S)
_HGVS = re.compile(r"(?:.*:)?[cgnmopr]\.(\d+).*", re.S)
_TOP_TERMS = ("Any", "All", "Reference")
_BOTTOM_TERMS = ("Other", "Unknown")
COMBINATION_JOINER = " + "


def _cmp(a: object, b: object) -> int:
    """Compare with None first (Apache ObjectUtils.compare semantics)."""
    if a is None and b is None:
        return 0
    if a is None:
        return -1
    if b is None:
        return 1
    return (a > b) - (a < b)  # type: ignore[operator]


def _trim_to_none(text: str) -> str | None:
    text = text.strip()
    return text or None


def _compare_parts(m1: re.Match[str], m2: re.Match[str]) -> int:
    rez = _cmp(_trim_to_none(m1.group(1)), _trim_to_none(m2.group(1)))
    if rez:
        return rez
    rez = _cmp(int(m1.group(2)), int(m2.group(2)))
    if rez:
        return rez
    return _cmp(_trim_to_none(m1.group(3)), _trim_to_none(m2.group(3)))


def compare_plain_names(name1: str, name2: str) -> int:
    """Natural ordering of two single (non-combination) haplotype names."""
    if name1 == name2:
        return 0
    if name1 in _TOP_TERMS or name2 in _BOTTOM_TERMS:
        return -1
    if name2 in _TOP_TERMS or name1 in _BOTTOM_TERMS:
        return 1
    for pattern in (_STRICT_STAR, _LOOSE_STAR):
        m1, m2 = pattern.fullmatch(name1), pattern.fullmatch(name2)
        if m1 and m2:
            return _compare_parts(m1, m2)
    return _cmp(name1, name2)


def is_combination_name(name: str) -> bool:
    return name.startswith("[") and COMBINATION_JOINER in name and name.endswith("]")


def compare_names(name1: str, name2: str) -> int:
    """Ordering that also knows combination (``[a + b]``) and HGVS names."""
    if name1 == name2:
        return 0
    c1, c2 = is_combination_name(name1), is_combination_name(name2)
    if c1 != c2:
        return 1 if c1 else -1
    if c1:
        parts1 = name1[1:-1].split(COMBINATION_JOINER)
        parts2 = name2[1:-1].split(COMBINATION_JOINER)
        rez = _cmp(len(parts1), len(parts2))
        if rez:
            return rez
        name1, name2 = parts1[0].strip(), parts2[0].strip()
    h1, h2 = _HGVS.fullmatch(name1), _HGVS.fullmatch(name2)
    if h1 and h2:
        p1, p2 = int(h1.group(1)), int(h2.group(1))
        return _cmp(name1, name2) if p1 == p2 else _cmp(p1, p2)
    return compare_plain_names(name1, name2)


def compare_haplotypes(name1: str, ref1: bool, name2: str, ref2: bool) -> int:
    """Order of two matched haplotypes: component-wise name order, then reference first."""
    if name1 == name2:
        return 0
    parts1 = [p.strip() for p in name1.split(COMBINATION_JOINER)]
    parts2 = [p.strip() for p in name2.split(COMBINATION_JOINER)]
    for i, p1 in enumerate(parts1):
        if i >= len(parts2):
            return 1
        rez = compare_names(p1, parts2[i])
        if rez:
            return rez
    if len(parts2) > len(parts1):
        return -1
    if ref1 != ref2:
        return -1 if ref1 else 1
    return 0


def sort_names(names: Sequence[str]) -> list[str]:
    return sorted(names, key=cmp_to_key(compare_names))
