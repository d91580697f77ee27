"""rules/pgx.smk: results/{sample}/pgx.tsv + pgx.json from the call stage's outputs; a KB change re-runs it.

The call stage's per-sample outputs are made here from a PharmCAT example VCF (one record per
target position, as the call stage writes them) so only the pgx rule runs.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, DemoWorkdir, require_tools

pytestmark = pytest.mark.shared


def _snakemake(workdir: Path, kb: Path, *extra: str) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent
    cmd = [
        str(bin_dir / "snakemake"),
        "-s", str(REPO / "Snakefile"),
        "--configfile", str(REPO / "config" / "config.yaml"),
        "--config", f"samples={workdir / 'samples.tsv'}", f"pgx={{kb: {kb}}}",
        f"reference={{fasta: {workdir / 'reference.fa.gz'}, build: GRCh38}}",
        "--cores", "1",
        "results/S/pgx.json",
        "--allowed-rules", "pgx_call",
        *extra,
    ]  # fmt: skip
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(workdir)}
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def workdir(shared: Path, tmp_path: Path, demo_workdir: DemoWorkdir) -> Path:
    require_tools("bgzip", "tabix")
    # the config must name an existing reference (checked at start), not necessarily the repo's demo
    for suffix in ("", ".fai", ".gzi"):
        (tmp_path / f"reference.fa.gz{suffix}").symlink_to(demo_workdir.demo / f"reference.fa.gz{suffix}")
    res = tmp_path / "results" / "S"
    res.mkdir(parents=True)
    text = (shared / "kb" / "pharmcat-examples" / "pharmcat.example2.vcf").read_text()
    plain = tmp_path / "S.vcf"
    plain.write_text(text.replace("Sample_2", "S"))
    with open(res / "S.targets.vcf.gz", "wb") as fh:
        subprocess.run(["bgzip", "-c", str(plain)], stdout=fh, check=True)
    subprocess.run(["tabix", "-p", "vcf", str(res / "S.targets.vcf.gz")], check=True)
    shutil.copy2(res / "S.targets.vcf.gz", tmp_path / "input.vcf.gz")
    with (
        open(REPO / "resources" / "kb" / "positions.tsv") as fh,
        gzip.open(res / "S.targets.tsv.gz", "wt") as out,
    ):
        out.write("chrom\tpos\tref\tdepth\tmq0_fraction\tstatus\treason\tgenotype\n")
        for row in csv.DictReader(fh, delimiter="\t"):
            r = row["ref"][0]
            if (row["chrom"], row["pos"]) == ("chr10", "94781859"):  # CYP2C19*2 position: low depth
                out.write(f"chr10\t94781859\t{r}\t3\t0.0\tno_call\tlow_depth\t.\n")
            else:
                out.write(f"{row['chrom']}\t{row['pos']}\t{r}\t30\t0.0\tref\t\t{r}/{r}\n")
    (tmp_path / "samples.tsv").write_text(f"sample_id\tvcf\nS\t{tmp_path / 'input.vcf.gz'}\n")
    return tmp_path


def test_rule_writes_outputs_and_reruns_on_kb_change(workdir: Path) -> None:
    kb = workdir / "kb"
    shutil.copytree(REPO / "resources" / "kb", kb)
    done = _snakemake(workdir, kb)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {r["gene"]: r for r in csv.DictReader(open(workdir / "results/S/pgx.tsv"), delimiter="\t")}
    assert rows["CYP2C19"]["missing_positions"] == "chr10:94781859"  # target no_call is never reference
    assert rows["CYP2B6"]["diplotype"] == "*1/*6"
    doc = json.loads((workdir / "results/S/pgx.json").read_text())
    assert doc["kb"]["path"] == str(kb) and doc["samples"][0]["sample_id"] == "S"
    assert (workdir / "logs/pgx_call/S.log").exists() and (workdir / "benchmarks/pgx_call/S.tsv").exists()
    assert "Nothing to be done" in _snakemake(workdir, kb, "-n").stdout
    manifest = json.loads((kb / "kb.json").read_text())
    manifest["description"] += " (edited)"
    (kb / "kb.json").write_text(json.dumps(manifest))
    assert "Updated input files" in _snakemake(workdir, kb, "-n").stdout
