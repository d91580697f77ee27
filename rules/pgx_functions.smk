# Helpers of the pgx stage (rules/pgx.smk): the configured KB, its files (rule inputs, so a
# KB change re-runs the PGx calls) and the per-sample options of `genorx pgx call`.

import json as _pgx_json

PGX = config.get("pgx", {})
PGX_KB = resolve(PGX.get("kb", "resources/kb"))


def pgx_kb_files():
    """The KB's files: a built KB's manifest and the files it lists, or a fetched KB's JSON."""
    kb = Path(PGX_KB)
    manifest = kb / "kb.json"
    if manifest.exists():
        listed = _pgx_json.loads(manifest.read_text()).get("files", {})
        return [str(manifest)] + [str(kb / name) for name in sorted(listed)]
    files = sorted(str(p) for p in kb.rglob("*.json") if not p.name.startswith("."))
    if not files:
        raise ValueError(
            f"pgx.kb: {PGX_KB} holds no knowledge base; fix: point config pgx.kb at resources/kb "
            "or at a folder written by 'genorx kb fetch'"
        )
    return files


def pgx_options(wildcards):
    opts = [f"--gene {g}" for g in PGX.get("genes", [])]
    if PGX.get("absent_as_ref", False):
        opts.append("--absent-as-ref")
    outside = PGX.get("outside_calls", {}).get(wildcards.sample)
    if outside:
        opts.append(f"--outside-call {resolve(outside)}")
    return " ".join(opts)


def pgx_inputs(wildcards):
    s = wildcards.sample
    inputs = {
        "vcf": f"results/{s}/{s}.targets.vcf.gz",
        "tbi": f"results/{s}/{s}.targets.vcf.gz.tbi",
        "targets": f"results/{s}/{s}.targets.tsv.gz",
        "kb": pgx_kb_files(),
    }
    outside = PGX.get("outside_calls", {}).get(s)
    if outside:
        inputs["outside"] = resolve(outside)
    return inputs


def pgx_final_outputs():
    return [f"results/{s}/pgx.{ext}" for s in SAMPLES for ext in ("tsv", "json")]
