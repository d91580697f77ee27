"""PharmCAT's wobble scoring: an IUPAC ("wobble") position scores only when it is used.

A haplotype whose definition says R (A or G) at a position is not more specific than one
that says nothing there when the sample carries the reference base: PharmCAT scores such
a position only if, among the sequences the haplotype is matched to in the diplotype, at
least one carries a non-reference base there. A diplotype scores the best of its possible
sequence assignments (unphased blocks in either orientation).
"""

from __future__ import annotations

from itertools import product

import numpy as np

from genorx.pgx.diplotype import SampleStrands
from genorx.pgx.prepare import PreparedHaplotypes


def wobble_penalties(
    prep: PreparedHaplotypes,
    strands: SampleStrands,
    refs: list[str],
    pairs: list[tuple[int, int | None]],
) -> list[int] | None:
    """Points to subtract from each pair's score; None when no haplotype has a wobble."""
    wob = prep.wobble_positions()
    involved = {h for pair in pairs for h in pair if h is not None}
    if not any(wob[h] for h in involved):
        return None
    block_of = np.full(len(refs), -1, dtype=np.int64)
    for k, block in enumerate(strands.blocks):
        block_of[block] = k
    m1 = prep.match_matrix(strands.strand1)
    m2 = m1 if strands.haploid else prep.match_matrix(strands.strand2)
    b1 = np.array([[m1[h, b].all() for b in strands.blocks] for h in range(len(prep))], dtype=bool)
    b2 = np.array([[m2[h, b].all() for b in strands.blocks] for h in range(len(prep))], dtype=bool)
    b1, b2 = b1.reshape(len(prep), -1), b2.reshape(len(prep), -1)
    s1, s2 = strands.strand1, strands.strand2

    def penalty(h: int, side: dict[int, int], both: bool) -> int:
        n = 0
        for p in wob[h]:
            k = block_of[p]
            if k < 0:
                n += s1[p] == refs[p]
            elif not both:
                n += (s1[p] if side[k] == 1 else s2[p]) == refs[p]
        return n

    out = []
    for h1, h2 in pairs:
        if not wob[h1] and (h2 is None or not wob[h2]):
            out.append(0)
            continue
        if h2 is None:
            out.append(sum(s1[p] == refs[p] for p in wob[h1]))
            continue
        same = h1 == h2
        both1 = not same and bool((b1[h1] & b2[h1]).all())
        both2 = not same and bool((b1[h2] & b2[h2]).all())
        blocks = sorted({int(block_of[p]) for p in wob[h1] + wob[h2] if block_of[p] >= 0})
        options = [
            [o for o, ok in ((1, b1[h1, k] and b2[h2, k]), (2, b2[h1, k] and b1[h2, k])) if ok] or [1]
            for k in blocks
        ]
        best = None
        for choice in product(*options):
            side1 = dict(zip(blocks, choice, strict=True))
            side2 = {k: 3 - v for k, v in side1.items()}
            total = penalty(h1, side1, both1) + penalty(h2, side2, both2)
            best = total if best is None else min(best, total)
        out.append(best or 0)
    return out
