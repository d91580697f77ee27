"""Polygenic risk scores: PGS Catalog scoring files, variant matching, a vectorised
scorer over raw BGZF VCF blocks, and reference-panel percentiles.

Modules, one job each:

- :mod:`genorx.prs.alleles` chromosome/build names and allele complements
- :mod:`genorx.prs.scorefile` typed scoring-file models and readers
- :mod:`genorx.prs.bgzf` BGZF block index and parallel inflate (libdeflate)
- :mod:`genorx.prs.vcfheader` VCF header, scoring-position keys, what a scan returns
- :mod:`genorx.prs.libdeflate` / :mod:`genorx.prs.bgzf` inflate (parallel BGZF blocks), gzip
- :mod:`genorx.prs.vcfscan` the candidate-record scan (numba kernels: ``vcfkernels``, ``gtdecode``)
- :mod:`genorx.prs.gtcodes` the one-byte genotype code space
- :mod:`genorx.prs.match` pgsc_calc-style matching of score rows to target sites
- :mod:`genorx.prs.kernel` the scoring kernel (numpy/BLAS: ``kernel_linear``, ``kernel_generic``)
- :mod:`genorx.prs.ploidy` male samples (chrX ploidy) from a sex file or chrX calls
- :mod:`genorx.prs.rows` genotype rows from memory or a cached ``.npy``
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
# The kernel runs its own threads over blocks of small matrix products; BLAS threads on
# top of them only contend (a 256 x 2000 product became 10x slower). Effective when this
# package is imported before numpy, as the genorx CLI does.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
