#!/usr/bin/env bash
# usage: call_freebayes.sh BAM PLAIN_REF SAMPLE THREADS MIN_QUAL MIN_MAPQ MIN_BASEQ MAX_DEPTH OUT.vcf.gz
# freebayes per contig with reads (in parallel), then bcftools norm -a -m- (atomise complex
# alleles, left-align, split) so records compare with bcftools calls; LowQual soft filter.
set -euo pipefail
bam=$1 ref=$2 sample=$3 threads=$4 min_qual=$5 min_mapq=$6 min_baseq=$7 max_depth=$8 out=$9
tmp="${out}.tmp.d"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
samtools idxstats "$bam" | awk -F'\t' '$3 > 0 {print $1}' > "$tmp/contigs"
call_one() {
  freebayes -f "$ref" -r "$1" -m "$min_mapq" -q "$min_baseq" -g "$max_depth" "$bam" \
    | bcftools view --no-version -i 'GT="alt"' -Ou \
    | bcftools norm --no-version -f "$ref" -a -m- -Ou \
    | bcftools norm --no-version -f "$ref" -Ob -o "$tmp/$2.bcf"
}
export -f call_one
export ref min_mapq min_baseq max_depth bam tmp
[ -s "$tmp/contigs" ] || { echo "genorx: error: $bam: no mapped reads; fix: check the alignment" >&2; exit 2; }
awk '{print $1 "\t" NR}' "$tmp/contigs" | xargs -P "$threads" -L 1 bash -c 'call_one "$0" "$1"'
n=$(wc -l < "$tmp/contigs")
parts=()
for i in $(seq 1 "$n"); do parts+=("$tmp/$i.bcf"); done
bcftools concat --no-version -Ou "${parts[@]}" \
  | bcftools sort -T "$tmp" -Ou \
  | bcftools filter --no-version -s LowQual -e "QUAL<$min_qual" -Oz -o "$tmp/filtered.vcf.gz"
echo "$sample" > "$tmp/name"
bcftools reheader -s "$tmp/name" -o "$tmp/out.vcf.gz" "$tmp/filtered.vcf.gz"
tabix -p vcf "$tmp/out.vcf.gz"
mv "$tmp/out.vcf.gz.tbi" "$out.tbi"
mv "$tmp/out.vcf.gz" "$out"
