#!/usr/bin/env bash
# usage: align.sh ALIGNER INDEX R1 R2 SAMPLE THREADS OUT.bam
# Paired FASTQ -> read group -> minimap2 -ax sr | bwa mem -> samtools fixmate -m -> sort
# -> markdup -> index. Written under temporary names and renamed at the end, so an
# interrupted run leaves no BAM that looks complete. Deterministic for a given input.
set -euo pipefail
aligner=$1 index=$2 r1=$3 r2=$4 sample=$5 threads=$6 out=$7
tmp="${out}.tmp"
rm -rf "$tmp.d" "$tmp.bam" "$tmp.bam.bai"
mkdir -p "$tmp.d"
trap 'rm -rf "$tmp.d" "$tmp.bam" "$tmp.bam.bai"' EXIT
rg="@RG\tID:${sample}\tSM:${sample}\tLB:${sample}\tPL:ILLUMINA"
case "$aligner" in
  minimap2) align=(minimap2 -t "$threads" -ax sr -R "$rg" "$index" "$r1" "$r2") ;;
  bwa) align=(bwa mem -t "$threads" -K 100000000 -Y -R "$rg" "$index" "$r1" "$r2") ;;
  *) echo "genorx: error: aligner '$aligner' is not minimap2 or bwa; fix: set config key aligner" >&2; exit 2 ;;
esac
"${align[@]}" 2>"$tmp.d/aligner.log" \
  | samtools fixmate -m -u - - \
  | samtools sort -u -@ "$threads" -m 768M -T "$tmp.d/sort" - \
  | samtools markdup -@ "$threads" -s -f "$tmp.d/markdup.txt" - "$tmp.bam"
samtools index -@ "$threads" "$tmp.bam"
cat "$tmp.d/aligner.log" "$tmp.d/markdup.txt" >&2
mv "$tmp.bam.bai" "$out.bai"
mv "$tmp.bam" "$out"
