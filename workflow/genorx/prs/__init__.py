"""Polygenic risk scores: PGS Catalog scoring files, variant matching, a vectorised
scorer over raw BGZF VCF blocks, and reference-panel percentiles.

Modules, one job each:

- :mod:`genorx.prs.alleles` chromosome/build names and allele complements
- :mod:`genorx.prs.scorefile` typed scoring-file models and readers
- :mod:`genorx.prs.bgzf` BGZF block index and parallel inflate (libdeflate)
- :mod:`genorx.prs.vcfscan` header reading and the candidate-record scan
- :mod:`genorx.prs.gtdecode` GT/DS decoding of candidate records
- :mod:`genorx.prs.match` pgsc_calc-style matching of score rows to target sites
- :mod:`genorx.prs.kernel` the numba scoring kernel (dosage x weight matrix)
- :mod:`genorx.prs.score` orchestration: files -> matched weights -> sums
- :mod:`genorx.prs.cache` cached candidate genotypes keyed by VCF identity
- :mod:`genorx.prs.reference` reference-panel distribution, percentile and Z
- :mod:`genorx.prs.output` ``prs.tsv`` / ``prs.json`` / match logs
- :mod:`genorx.prs.demo_assets` demonstration scoring files and panel
- :mod:`genorx.prs.cli` ``genorx prs ...``
"""

import os

# numba's OpenMP threads sleep instead of spinning between parallel regions: on a shared
# machine spinning burns CPU the other thread (inflate) and other processes need.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
