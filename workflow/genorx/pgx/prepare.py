"""Named alleles restricted to the positions a sample has data for, as PharmCAT marshals them.

A haplotype loses the positions the sample is missing (and positions ignored by the
gene's exemptions); its score is the number of positions it defines among those left, a
haplotype left with score 0 is dropped. With ``assume_reference`` the blanks of every
non-reference allele are filled with the reference allele's base (the locus REF where
the reference allele is an IUPAC code) while the score stays the number of defined
positions, so more specific alleles win ties against less specific ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from genorx.pgx.alleles import allele_matches, is_wobble
from genorx.pgx.definitions import GeneDefinition


@dataclass(frozen=True, slots=True)
class PreparedHaplotypes:
    positions: tuple[int, ...]  # indices into defn.loci that are used
    names: tuple[str, ...]
    ids: tuple[str, ...]
    reference: tuple[bool, ...]
    scores: np.ndarray  # int (H,)
    alleles: tuple[tuple[str | None, ...], ...]  # (H, P) definition alleles (filled or None)
    raw: tuple[tuple[str | None, ...], ...]  # (H, P) as defined (None = says nothing)
    distinct: tuple[tuple[str | None, ...], ...]  # per position: distinct allele strings
    hap_index: np.ndarray  # int (P, H): index into distinct[p]
    _bank: list = field(default_factory=list, compare=False, repr=False)  # see match_matrix
    _cores: list[frozenset[int]] = field(default_factory=list, compare=False, repr=False)
    _wobbles: list[list[list[int]]] = field(default_factory=list, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.names)

    def wobble_positions(self) -> list[list[int]]:
        """Per haplotype, the positions where its (filled) allele is an IUPAC code (cached)."""
        if not self._wobbles and self.names:
            rows = [[p for p, a in enumerate(row) if is_wobble(a)] for row in self.alleles]
            self._wobbles.append(rows)
        return self._wobbles[0] if self._wobbles else []

    def core_sets(self) -> list[frozenset[int]]:
        """Per haplotype, the positions its definition gives an allele for (cached)."""
        if not self._cores and self.names:
            self._cores.extend(frozenset(p for p, a in enumerate(row) if a is not None) for row in self.raw)
        return self._cores

    def match_matrix(self, observed: list[str]) -> np.ndarray:
        """(H, P) bool: haplotype h's allele at position p accepts ``observed[p]``
        (a blank, possible without ``assume_reference``, accepts anything).

        Columns are computed once per (position, allele) and kept in a bank; a call is one
        dictionary lookup per position and one fancy-indexing copy."""
        bank = self._bank
        if not bank:
            bank.append(np.zeros((len(self.names), 64), dtype=bool))  # column storage
            bank.append([{} for _ in self.positions])  # per position: allele -> column
            bank.append([0])  # columns used
        index: list[dict[str, int]] = bank[1]
        cols = [index[p].get(obs, -1) for p, obs in enumerate(observed)]
        if -1 in cols:
            for p, c in enumerate(cols):
                if c < 0:
                    cols[p] = self._add_column(p, observed[p])
        return bank[0][:, cols]

    def _add_column(self, p: int, obs: str) -> int:
        store, index, used = self._bank
        k = used[0]
        if k == store.shape[1]:
            grown = np.zeros((store.shape[0], 2 * k), dtype=bool)
            grown[:, :k] = store
            self._bank[0] = store = grown
        ok = np.array([d is None or allele_matches(d, obs) for d in self.distinct[p]], dtype=bool)
        store[:, k] = ok[self.hap_index[p]]
        index[p][obs] = k
        used[0] = k + 1
        return k


def unused_positions(defn: GeneDefinition) -> frozenset[int]:
    """Loci indices only defined by ignored alleles (PharmCAT drops them from matching)."""
    ignored = defn.exemptions.ignored_alleles
    if not ignored:
        return frozenset()
    used_by_ignored: set[int] = set()
    used_by_others: set[int] = set()
    for allele in defn.named_alleles:
        if allele.reference:
            continue
        target = used_by_ignored if allele.name in ignored else used_by_others
        target.update(j for j, a in enumerate(allele.alleles) if a is not None)
    return frozenset(used_by_ignored - used_by_others)


_EXCLUDED: dict[int, tuple[GeneDefinition, frozenset[int]]] = {}


def excluded_positions(defn: GeneDefinition) -> frozenset[int]:
    """Cached ``_excluded_positions`` (called for every sample)."""
    hit = _EXCLUDED.get(id(defn))
    if hit is not None and hit[0] is defn:
        return hit[1]
    if len(_EXCLUDED) > 256:
        _EXCLUDED.clear()
    out = _excluded_positions(defn)
    _EXCLUDED[id(defn)] = (defn, out)
    return out


def _excluded_positions(defn: GeneDefinition) -> frozenset[int]:
    """Loci indices never used for matching: exemption-ignored variants (same rsid, else same HGVS
    name: a definition variant at an ignored position but of another kind is kept) + unused ones."""
    ignored = defn.exemptions.ignored_loci
    by_id = {j for j, locus in enumerate(defn.loci) if any(locus.same_variant(x) for x in ignored)}
    return frozenset(by_id) | unused_positions(defn)


def prepare(
    defn: GeneDefinition,
    positions: tuple[int, ...],
    assume_reference: bool = True,
    skip: frozenset[str] = frozenset(),
) -> PreparedHaplotypes:
    """Haplotypes of ``defn`` over the loci ``positions`` (the sample's usable positions)."""
    ref = defn.reference_allele
    ignored = defn.exemptions.ignored_alleles | skip
    names, ids, refs, scores, filled, raws = [], [], [], [], [], []
    for allele in defn.named_alleles:
        if allele.name in ignored:
            continue
        raw = tuple(allele.alleles[j] for j in positions)
        score = sum(a is not None for a in raw)
        if score == 0:
            continue
        if assume_reference and not allele.reference:
            row = []
            for p, j in enumerate(positions):
                a = raw[p]
                if a is None:
                    r = ref.alleles[j]
                    a = defn.loci[j].ref if r is None or is_wobble(r) else r
                row.append(a)
            fill = tuple(row)
        else:
            fill = raw
        names.append(allele.name)
        ids.append(allele.id)
        refs.append(allele.reference)
        scores.append(score)
        filled.append(fill)
        raws.append(raw)
    n_p = len(positions)
    distinct: list[tuple[str | None, ...]] = []
    hap_index = np.zeros((n_p, len(names)), dtype=np.int32)
    for p in range(n_p):
        values = list(dict.fromkeys(row[p] for row in filled))
        lookup = {v: k for k, v in enumerate(values)}
        distinct.append(tuple(values))
        hap_index[p] = [lookup[row[p]] for row in filled]
    return PreparedHaplotypes(
        positions=positions,
        names=tuple(names),
        ids=tuple(ids),
        reference=tuple(refs),
        scores=np.asarray(scores, dtype=np.int64),
        alleles=tuple(filled),
        raw=tuple(raws),
        distinct=tuple(distinct),
        hap_index=hap_index,
    )
