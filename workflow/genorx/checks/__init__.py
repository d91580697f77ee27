"""Input checks: config keys, sample sheet, FASTQ pairs, reference, contig names."""
