#!/usr/bin/env bash
# usage: call_bcftools.sh BAM REF SAMPLE THREADS MIN_QUAL MIN_MAPQ MIN_BASEQ MAX_DEPTH OUT.vcf.gz
# bcftools mpileup -a AD,DP | call -m -v | norm -f REF -m- (left-align, split), one job per
# contig with reads (in parallel, concatenated in reference order), calls below MIN_QUAL
# soft-filtered as LowQual, sample renamed to SAMPLE, bgzipped + tabix, renamed into place.
set -euo pipefail
bam=$1 ref=$2 sample=$3 threads=$4 min_qual=$5 min_mapq=$6 min_baseq=$7 max_depth=$8 out=$9
tmp="${out}.tmp.d"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
samtools idxstats "$bam" | awk -F'\t' '$3 > 0 {print $1}' > "$tmp/contigs"
call_one() {  # contig -> $tmp/<n>.bcf
  bcftools mpileup --no-version -f "$ref" -r "$1" -a FORMAT/AD,FORMAT/DP -q "$min_mapq" -Q "$min_baseq" \
    -d "$max_depth" --ignore-RG -Ou "$bam" \
    | bcftools call --no-version -m -v -Ou \
    | bcftools norm --no-version -f "$ref" -m- -Ob -o "$tmp/$2.bcf"
}
export -f call_one
export ref min_mapq min_baseq max_depth bam tmp
if [ -s "$tmp/contigs" ]; then
  awk '{print $1 "\t" NR}' "$tmp/contigs" \
    | xargs -P "$threads" -L 1 bash -c 'call_one "$0" "$1"'
  n=$(wc -l < "$tmp/contigs")
  parts=()
  for i in $(seq 1 "$n"); do parts+=("$tmp/$i.bcf"); done
  bcftools concat --no-version -Ou "${parts[@]}" > "$tmp/all.bcf"
else  # no mapped reads: an empty call set with a proper header
  bcftools mpileup --no-version -f "$ref" -a FORMAT/AD,FORMAT/DP --ignore-RG -Ou "$bam" \
    | bcftools call --no-version -m -v -Ou > "$tmp/all.bcf"
fi
bcftools filter --no-version -s LowQual -e "QUAL<$min_qual" -Oz -o "$tmp/filtered.vcf.gz" "$tmp/all.bcf"
echo "$sample" > "$tmp/name"
bcftools reheader -s "$tmp/name" -o "$tmp/out.vcf.gz" "$tmp/filtered.vcf.gz"
tabix -p vcf "$tmp/out.vcf.gz"
mv "$tmp/out.vcf.gz.tbi" "$out.tbi"
mv "$tmp/out.vcf.gz" "$out"
