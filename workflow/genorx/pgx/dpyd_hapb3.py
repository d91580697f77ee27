"""DPYD's HapB3: called from its intronic (rs75017182) and exonic (rs56038477) variants.

HapB3 (``c.1129-5923C>G, c.1236G>A (HapB3)``) is defined by two positions ~6 kb apart, and
the intronic ``c.1129-5923C>G`` alone is named too. As PharmCAT does, the other DPYD
alleles are matched without these two alleles, then HapB3 is called from the two
positions and added to each strand (phased data) or to the list of matched haplotypes
(unphased data):

- per strand (phased): intronic and exonic variant -> HapB3; intronic only -> the intronic
  allele; exonic only -> Reference (warning: intronic and exonic disagree), or HapB3 when
  the intronic position is not genotyped (warning: exonic only);
- unphased: with only one of the two positions genotyped, that one decides (exonic only:
  warning); with both, equal counts of the variant call that many HapB3; more intronic
  than exonic variants call the extra ones intronic-only; more exonic than intronic ones
  trust the intronic count (warning); one heterozygous and the other homozygous with
  unknown phase calls nothing from them (ambiguous). Both in one phase set count as phased.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cmp_to_key

from genorx.pgx.alleles import hgvs_for
from genorx.pgx.combinations import StrandMatch
from genorx.pgx.definitions import GeneDefinition, Locus
from genorx.pgx.match import UsableData
from genorx.pgx.names import COMBINATION_JOINER, compare_names

HAPB3 = "c.1129-5923C>G, c.1236G>A (HapB3)"
HAPB3_INTRONIC = "c.1129-5923C>G"
EXONIC_RSID = "rs56038477"
INTRONIC_RSID = "rs75017182"
MISMATCH = (
    "DPYD: HapB3 intronic (rs75017182) and exonic (rs56038477) calls disagree; the intronic call is used"
)
EXONIC_ONLY = "DPYD: HapB3 called from the exonic variant rs56038477 only (intronic rs75017182 not genotyped)"


@dataclass(slots=True)
class HapB3:
    reference: str
    exon: int | None  # index into the usable positions, None when not genotyped
    intron: int | None
    exon_locus: Locus
    intron_locus: Locus
    exon_alt: str
    intron_alt: str
    defined: dict[str, int]  # positions each allele defines (scores of merged matches)
    has_variants: bool = False  # the sample carries a variant at either HapB3 position
    has_other_variants: bool = False
    warnings: list[str] = field(default_factory=list)
    num_called: int = 0

    @property
    def allele_names(self) -> frozenset[str]:
        return frozenset({HAPB3, HAPB3_INTRONIC})

    @property
    def partial_names(self) -> frozenset[str]:
        return frozenset(
            {hgvs_for(self.exon_locus, self.exon_alt), hgvs_for(self.intron_locus, self.intron_alt)}
        )

    @classmethod
    def for_gene(cls, defn: GeneDefinition, data: UsableData) -> HapB3 | None:
        """None when the definition lacks HapB3 (another data version)."""
        rsid_index = {locus.rsid: j for j, locus in enumerate(defn.loci)}
        hapb3 = next((a for a in defn.named_alleles if a.name == HAPB3), None)
        if hapb3 is None or EXONIC_RSID not in rsid_index or INTRONIC_RSID not in rsid_index:
            return None
        je, ji = rsid_index[EXONIC_RSID], rsid_index[INTRONIC_RSID]
        usable = {j: p for p, j in enumerate(data.positions)}
        out = cls(
            reference=defn.reference_allele.name,
            exon=usable.get(je),
            intron=usable.get(ji),
            exon_locus=defn.loci[je],
            intron_locus=defn.loci[ji],
            exon_alt=hapb3.alleles[je] or defn.loci[je].alts[0],
            intron_alt=hapb3.alleles[ji] or defn.loci[ji].alts[0],
            defined={a.name: a.defined_count for a in defn.named_alleles},
        )
        for p, j in enumerate(data.positions):
            variant = any(a != defn.loci[j].ref for a in data.alleles[p])
            if j in (je, ji):
                out.has_variants |= variant
            else:
                out.has_other_variants |= variant
        return out

    # -- phased data: one strand at a time -------------------------------------------------
    def strand_call(self, seq: tuple[str, ...] | list[str]) -> str:
        """HapB3, the intronic allele or the reference for one sequence."""
        has_intron = self.intron is not None and seq[self.intron] != self.intron_locus.ref
        has_exon = self.exon is not None and seq[self.exon] != self.exon_locus.ref
        if has_intron:
            return HAPB3 if has_exon else HAPB3_INTRONIC
        if self.intron is not None:
            if has_exon:
                self._warn(MISMATCH)
            return self.reference
        if has_exon:
            self._warn(EXONIC_ONLY)
            return HAPB3
        return self.reference

    def strip_partials(self, m: StrandMatch) -> StrandMatch:
        """Drop the HapB3 positions' partials (HapB3 alleles were left out of the matching)."""
        partials = tuple(p for p in m.partials if p not in self.partial_names)
        if partials == m.partials:
            return m
        comps = tuple(c for c in m.components if c != self.reference)
        if not partials and not comps:
            ref = self.reference
            return StrandMatch(ref, "hap", self.defined[ref], m.sequence, (ref,), (), m.alleles)
        return self._combo(m.components, partials, m)

    def merge(self, m: StrandMatch) -> StrandMatch:
        """Add this strand's HapB3 call to its match (other partials are dropped, as PharmCAT does)."""
        call = self.strand_call(m.alleles)
        if call == self.reference:
            return m
        if m.kind == "hap" and m.name == self.reference:
            return StrandMatch(call, "hap", self.defined[call], m.sequence, (call,), (), m.alleles)
        return self._combo((*m.components, call), (), m)

    def reference_match(self, seq: tuple[str, ...], seq_key: tuple[str, ...]) -> StrandMatch:
        """The match of a sequence that is reference apart from HapB3."""
        call = self.strand_call(seq)
        return StrandMatch(call, "hap", self.defined[call], seq_key, (call,), (), seq)

    # -- unphased data ----------------------------------------------------------------------
    def unphased_matches(self, data: UsableData, effectively_phased: bool) -> list[str]:
        """HapB3 / intronic-allele haplotype matches of an unphased sample (0-2 names)."""
        if not effectively_phased and self.exon is not None and self.intron is not None:
            ps_e, ps_i = data.phase_sets[self.exon], data.phase_sets[self.intron]
            effectively_phased = (
                bool(ps_e) and ps_e == ps_i and data.phased[self.exon] and data.phased[self.intron]
            )
        intron_call: list[str] = []
        hapb3_call: list[str] = []
        if self.intron is not None:
            intronic = self._calls(data, self.intron, self.intron_alt)
            if self.exon is None:
                intron_call = intronic
            else:
                exonic = self._calls(data, self.exon, self.exon_alt)
                if effectively_phased:
                    for idx in range(max(len(intronic), len(exonic))):
                        i_call = intronic[idx] if idx < len(intronic) else "."
                        e_call = exonic[idx] if idx < len(exonic) else "."
                        if i_call == "1":
                            (intron_call if e_call != "1" else hapb3_call).append("1")
                        elif i_call == "0" and e_call != "0":
                            self._warn(MISMATCH)
                elif len(intronic) == 2 and len(exonic) == 2:
                    n_i, n_e = intronic.count("1"), exonic.count("1")
                    if n_i == n_e:
                        hapb3_call = ["1"] * n_i
                    elif n_i > n_e:
                        intron_call = ["1"] * (n_i - n_e)
                        hapb3_call = ["1"] * n_e
                    else:
                        self._warn(MISMATCH)
                        hapb3_call = ["1"] * n_i
                elif len(exonic) == 0:
                    intron_call = intronic
        elif self.exon is not None:
            hapb3_call = self._calls(data, self.exon, self.exon_alt)
            if len(hapb3_call) == 2:
                self._warn(EXONIC_ONLY)
        names = [HAPB3] * hapb3_call.count("1") + [HAPB3_INTRONIC] * intron_call.count("1")
        self.num_called = len(names)
        return names

    def _combo(
        self, components: tuple[str, ...], partials: tuple[str, ...], like: StrandMatch
    ) -> StrandMatch:
        """A combination match named as PharmCAT names it (reference component not shown)."""
        ref = self.reference

        def cmp(a: str, b: str) -> int:
            if (a == ref) != (b == ref):
                return -1 if a == ref else 1
            return compare_names(a, b)

        comps = tuple(sorted(dict.fromkeys(components), key=cmp_to_key(cmp)))
        items = [c for c in comps if c != ref] + list(partials)
        name = f"[{COMBINATION_JOINER.join(items)}]" if len(items) > 1 else items[0]
        score = sum(self.defined.get(c, 0) for c in comps if c != ref) - len(partials)
        return StrandMatch(name, "combo", score, like.sequence, comps, partials, like.alleles)

    @staticmethod
    def _calls(data: UsableData, p: int, alt: str) -> list[str]:
        return ["1" if a == alt else "0" for a in data.alleles[p]]

    def _warn(self, msg: str) -> None:
        if msg not in self.warnings:
            self.warnings.append(msg)
