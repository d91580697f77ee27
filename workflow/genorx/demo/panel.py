"""The planted pharmacogenomic haplotypes of the demo patients.

Each star allele is written as the (rsid, allele) pairs that define it (PharmCAT/CPIC
definitions, GRCh38); positions and reference bases come from the bundled
``resources/kb/positions.tsv``. Note the GRCh38 reference carries CYP2C19*38, so *1, *2 and
*17 all carry rs3758581 G.
"""

from __future__ import annotations

HAPLOTYPES: dict[str, dict[str, dict[str, str]]] = {
    "CYP2C19": {
        "*1": {"rs3758581": "G"},
        "*2": {"rs12769205": "G", "rs4244285": "A", "rs3758581": "G"},
        "*17": {"rs12248560": "T", "rs3758581": "G"},
    },
    "CYP2C9": {"*1": {}, "*2": {"rs1799853": "T"}, "*3": {"rs1057910": "C"}},
    "SLCO1B1": {"*1": {}, "*5": {"rs4149056": "C"}, "*15": {"rs2306283": "G", "rs4149056": "C"}},
    "VKORC1": {"C": {}, "T": {"rs9923231": "T"}},  # rs9923231 (-1639G>A), VCF strand C>T
    "TPMT": {"*1": {}, "*3A": {"rs1800460": "T", "rs1142345": "C"}},
    "DPYD": {"*1": {}, "*2A": {"rs3918290": "T"}},
    "CYP3A5": {"*1": {}, "*3": {"rs776746": "C"}},
    "NUDT15": {"*1": {}, "*3": {"rs116855232": "T"}},
    "CYP2D6": {
        "*1": {},
        "*2": {"rs1135840": "G", "rs16947": "A"},
        "*4": {"rs1065852": "A", "rs3892097": "T", "rs1135840": "G"},
        "*10": {"rs1065852": "A", "rs1135840": "G", "rs1058164": "G"},
        "*41": {"rs1135840": "G", "rs28371725": "T", "rs16947": "A", "rs1058164": "G"},
    },
}

# patient -> gene -> (haplotype 1, haplotype 2); phase is known (truth VCFs are phased).
PATIENTS: dict[str, dict[str, tuple[str, str]]] = {
    "P1": {
        "CYP2C19": ("*2", "*17"),
        "CYP2C9": ("*1", "*2"),
        "SLCO1B1": ("*1", "*5"),
        "VKORC1": ("T", "T"),
        "TPMT": ("*1", "*1"),
        "DPYD": ("*1", "*1"),
        "CYP3A5": ("*3", "*3"),
        "NUDT15": ("*1", "*1"),
        "CYP2D6": ("*1", "*4"),
    },
    "P2": {
        "CYP2C19": ("*2", "*2"),
        "CYP2C9": ("*2", "*3"),
        "SLCO1B1": ("*1", "*1"),
        "VKORC1": ("C", "T"),
        "TPMT": ("*1", "*3A"),
        "DPYD": ("*1", "*2A"),
        "CYP3A5": ("*1", "*3"),
        "NUDT15": ("*1", "*3"),
        "CYP2D6": ("*4", "*10"),
    },
    "P3": {
        "CYP2C19": ("*17", "*17"),
        "CYP2C9": ("*3", "*3"),
        "SLCO1B1": ("*15", "*15"),
        "VKORC1": ("C", "C"),
        "TPMT": ("*3A", "*3A"),
        "DPYD": ("*1", "*1"),
        "CYP3A5": ("*1", "*1"),
        "NUDT15": ("*3", "*3"),
        "CYP2D6": ("*2", "*41"),
    },
}


def haplotype_alleles(gene: str, star: str) -> dict[str, str]:
    """rsid -> planted allele for one haplotype."""
    return HAPLOTYPES[gene][star]


def expected_diplotypes(patient: str) -> dict[str, str]:
    """gene -> "a/b" as planted (for the manifest; the PGx stage names its own calls)."""
    return {gene: f"{a}/{b}" for gene, (a, b) in PATIENTS[patient].items()}
