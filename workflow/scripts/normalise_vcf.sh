#!/usr/bin/env bash
# usage: normalise_vcf.sh IN.vcf[.gz] REF SAMPLE OUT.vcf.gz
# A VCF given in the sample sheet: keep the column named SAMPLE (or the only one), split
# multiallelics and left-align against REF, rename the column to SAMPLE, bgzip + tabix.
set -euo pipefail
in=$1 ref=$2 sample=$3 out=$4
tmp="${out}.tmp.d"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
bcftools query -l "$in" > "$tmp/names"
if grep -qxF "$sample" "$tmp/names"; then
  pick=$sample
elif [ "$(wc -l < "$tmp/names")" -eq 1 ]; then
  pick=$(cat "$tmp/names")
else
  echo "genorx: error: $in: no sample column named '$sample' among $(wc -l < "$tmp/names") samples; fix: name the column as the sample sheet's sample_id, or give a single-sample VCF" >&2
  exit 2
fi
bcftools view --no-version -s "$pick" -Ou "$in" \
  | bcftools norm --no-version -f "$ref" -m- -Ou \
  | bcftools sort -T "$tmp" -Oz -o "$tmp/sorted.vcf.gz"
echo "$sample" > "$tmp/name"
bcftools reheader -s "$tmp/name" -o "$tmp/out.vcf.gz" "$tmp/sorted.vcf.gz"
tabix -p vcf "$tmp/out.vcf.gz"
mv "$tmp/out.vcf.gz.tbi" "$out.tbi"
mv "$tmp/out.vcf.gz" "$out"
