"""``genorx kb fetch|mirror|build|info``."""

from __future__ import annotations

import argparse
import sys

from genorx.paths import BUNDLED_KB


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genorx kb", description="Fetch, mirror and build pharmacogenomic KBs.")
    sub = p.add_subparsers(dest="command", required=True)

    f = sub.add_parser("fetch", help="download a KB mirror (BASE/index.json) with checksums and provenance")
    f.add_argument("--url", required=True, help="mirror base: http(s)://..., file://... or a local folder")
    f.add_argument("--out", required=True, help="KB folder to create or replace (replaced only on success)")
    f.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request (default 30)")
    f.add_argument("--retries", type=int, default=3, help="retries per file on transient errors (default 3)")

    m = sub.add_parser("mirror", help="write index.json for a folder of PharmCAT-format data")
    m.add_argument("--from", dest="src", required=True, help="folder of PharmCAT-format data")
    m.add_argument("--out", required=True, help="mirror folder to write (may be the same as --from)")
    m.add_argument("--name", default=None, help="index name (default: the current one or the folder name)")
    m.add_argument("--description", default=None, help="index description")

    b = sub.add_parser("build", help="compile PharmCAT-format data into the compact project KB")
    b.add_argument(
        "--from", dest="src", required=True, help="folder of PharmCAT-format data (e.g. a fetched KB)"
    )
    b.add_argument("--out", default=str(BUNDLED_KB), help="output folder (default: the bundled resources/kb)")

    i = sub.add_parser("info", help="print a KB's name, version, provenance and contents")
    i.add_argument("--kb", default=str(BUNDLED_KB), help="KB folder (default: the bundled resources/kb)")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command == "fetch":
        from genorx.kb.fetch import fetch_kb

        prov = fetch_kb(args.url, args.out, timeout=args.timeout, retries=max(0, args.retries))
        print(f"genorx kb fetch: {len(prov['files'])} files verified -> {args.out} ({prov['index']['name']})")
    elif args.command == "mirror":
        from genorx.kb.mirror import mirror_kb

        index = mirror_kb(args.src, args.out, args.name, args.description)
        print(f"genorx kb mirror: {len(index['files'])} files indexed -> {args.out}/index.json")
    elif args.command == "build":
        from genorx.kb.build import build_kb

        manifest = build_kb(args.src, args.out)
        counts = manifest["counts"]
        print(
            f"genorx kb build: {counts['genes']} genes, {counts['positions']} positions, "
            f"{counts['guidelines']} guidelines, {counts['recommendations']} recommendations -> "
            f"{args.out} (version {manifest['version']})"
        )
    else:
        from genorx.kb.load import load_kb

        kb = load_kb(args.kb)
        info = kb.info
        out = sys.stdout
        out.write(
            f"name\t{info.name}\nversion\t{info.version}\nsource\t{info.source}\nurl\t{info.url or ''}\n"
        )
        out.write(f"sha256\t{info.sha256}\nprose\t{'yes' if info.has_prose else 'no (facts only)'}\n")
        out.write(f"genes\t{', '.join(kb.genes)}\nguideline_genes\t{', '.join(kb.guideline_genes)}\n")
        n_rec = sum(len(g.recommendations) for g in kb.guidelines)
        out.write(f"guidelines\t{len(kb.guidelines)} ({n_rec} recommendations)\n")
    return 0
